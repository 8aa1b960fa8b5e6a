module github.com/mynacard/mynacard

go 1.26.8

require (
	github.com/ebfe/scard v0.0.0-20241214075232-7af069cabc25
	github.com/google/go-cmp v0.7.0
	github.com/sirupsen/logrus v1.10.2
	pgregory.net/rapid v1.3.0
)

require golang.org/x/sys v0.49.0

require golang.org/x/text v0.31.0
