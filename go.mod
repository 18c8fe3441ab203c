module github.com/gentrace/gentrace-go

go 1.24
