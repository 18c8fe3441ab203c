module github.com/gentrace/gentrace-go

go 1.24

require (
	github.com/cbroglie/mustache v1.4.2
	github.com/google/uuid v1.6.0
	github.com/hashicorp/go-cleanhttp v0.5.2
	github.com/hashicorp/go-retryablehttp v0.7.8
	github.com/pkoukk/tiktoken-go v0.1.8
	github.com/pkoukk/tiktoken-go-loader v0.0.2
	github.com/sashabaranov/go-openai v1.43.0
	golang.org/x/image v0.30.0
)

require (
	github.com/dlclark/regexp2 v1.10.0 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
)
