module github.com/mynacard/mynacard

go 1.26.8

require (
	github.com/google/go-cmp v0.7.0
	github.com/sirupsen/logrus v1.10.2
)

require golang.org/x/sys v0.49.0 // indirect
