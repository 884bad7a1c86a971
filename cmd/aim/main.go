// Command aim runs the AIM Platform: `aim serve` runs every service and the
// REST gateway in one process; `aim model`, `aim appraisal`, `aim crosswalk`
// and `aim gateway` run one part alone, as Kubernetes does; `aim token`
// mints a development token.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCommand().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "aim:", err)
		os.Exit(1)
	}
}
