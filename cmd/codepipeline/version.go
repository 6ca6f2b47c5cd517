package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

func init() { register("", newVersionCmd) }

func newVersionCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version",
		Example: "  codepipeline version",
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(c.stdout, "codepipeline %s (%s %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
