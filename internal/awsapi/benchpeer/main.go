// Command benchpeer serves github.com/johannesboyne/gofakes3 (in memory, no encryption, no
// fsync) on a loopback port, for the AWS endpoint's throughput benchmark to compare against in
// the same run (internal/awsapi/endpoint: BenchmarkS3Throughput). It prints its address and
// serves until its standard input closes. A module of its own, so that the fake stays out of
// the provider's go.mod.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	faker := gofakes3.New(s3mem.New())
	go http.Serve(ln, faker.Server()) //nolint:errcheck // ends with the process
	fmt.Println(ln.Addr())
	io.Copy(io.Discard, os.Stdin) //nolint:errcheck // until the parent closes it
}
