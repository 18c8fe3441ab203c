module github.com/gentrace/gentrace-go/examples

go 1.26.0

require (
	github.com/gentrace/gentrace-go v0.0.0-00010101000000-000000000000
	github.com/gentrace/gentrace-go/openinference v0.0.0-00010101000000-000000000000
	github.com/sashabaranov/go-openai v1.43.0
	go.opentelemetry.io/otel v1.47.0
	go.opentelemetry.io/otel/exporters/stdout/stdouttrace v1.47.0
	go.opentelemetry.io/otel/sdk v1.47.0
	go.uber.org/goleak v1.3.0
)

require (
	github.com/cbroglie/mustache v1.4.2 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/go-logr/logr v1.4.4 // indirect
	github.com/go-logr/stdr v1.2.2 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	github.com/pkoukk/tiktoken-go-loader v0.0.2 // indirect
	go.opentelemetry.io/auto/sdk v1.2.1 // indirect
	go.opentelemetry.io/otel/log v1.47.0 // indirect
	go.opentelemetry.io/otel/metric v1.47.0 // indirect
	go.opentelemetry.io/otel/trace v1.47.0 // indirect
	golang.org/x/image v0.34.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
)

replace github.com/gentrace/gentrace-go => ../

replace github.com/gentrace/gentrace-go/openinference => ../openinference
