// Package apiclient is a Go client generated from openapi.yaml by oapi-codegen, as a portal
// would generate one. Its tests drive the real server with it: a contract that a generator
// cannot turn into a working client fails them, whatever the handlers do.
//
// client.gen.go is generated: edit openapi.yaml's annotations or oapi-codegen.yaml, then run
// `go generate ./api`.
package apiclient
