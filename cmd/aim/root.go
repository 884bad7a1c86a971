package main

import (
	"github.com/spf13/cobra"
)

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "aim",
		Short: "AIM Platform: CMMI AI maturity catalog, appraisals and crosswalks",
		Long: `aim runs the AIM Platform services.

  aim serve                 everything in one process, on embedded defaults
  aim model|appraisal|crosswalk|gateway
                            one part alone, the others' addresses as flags
  aim token                 mint a development token
  aim backup|restore        copy a running service's store; put one back

Every flag can also be set through the environment: --data-dir is AIM_DATA_DIR.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newServeCommand(),
		newServiceCommand(modelPart),
		newServiceCommand(appraisalPart),
		newServiceCommand(crosswalkPart),
		newGatewayCommand(),
		newTokenCommand(),
		newBackupCommand(),
		newRestoreCommand(),
	)
	for _, c := range root.Commands() {
		documentEnv(c.Flags())
		c.PreRunE = func(cmd *cobra.Command, _ []string) error { return bindEnv(cmd) }
	}
	return root
}
