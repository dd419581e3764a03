# Developer tasks. `make proto` regenerates the committed Go code of the Hadoop
# and YARN protobuf messages (internal/hadoop/hadooppb, internal/hadoop/yarnpb).
# It needs protoc (Debian: apt-get install protobuf-compiler) and protoc-gen-go
# at the version of google.golang.org/protobuf in go.mod; `make proto-tools`
# installs both.

PROTOC_GEN_GO_VERSION := $(shell go list -m -f '{{.Version}}' google.golang.org/protobuf)
GOBIN := $(shell go env GOPATH)/bin
PROTO_ROOT := internal/hadoop
PROTO_FILES := $(wildcard $(PROTO_ROOT)/hadooppb/*.proto) $(wildcard $(PROTO_ROOT)/yarnpb/*.proto)

.PHONY: proto proto-tools

proto:
	@command -v protoc >/dev/null || { echo "protoc not found: run make proto-tools (or apt-get install protobuf-compiler)"; exit 1; }
	@test -x $(GOBIN)/protoc-gen-go || { echo "protoc-gen-go not found in $(GOBIN): run make proto-tools"; exit 1; }
	PATH="$(GOBIN):$$PATH" protoc -I $(PROTO_ROOT) --go_out=$(PROTO_ROOT) --go_opt=paths=source_relative $(PROTO_FILES:$(PROTO_ROOT)/%=%)

proto-tools:
	command -v protoc >/dev/null || (apt-get update && apt-get install -y protobuf-compiler)
	go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
