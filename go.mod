module github.com/gostream/gostream

go 1.26.8
