package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/aim-platform/aim/platform/auth"
)

// tokenConfig configures `aim token`.
type tokenConfig struct {
	DataDir  string
	Tenant   string
	Roles    []string
	Subject  string
	TTL      time.Duration
	Issuer   string
	Audience string
}

func newTokenCommand() *cobra.Command {
	cfg := &tokenConfig{}
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Mint a token signed with the development key of a data dir",
		Long: `token prints a JWT signed with the development signing key that aim serve
keeps in its data dir. Services started without --jwt-keys accept it.`,
		Example: "  aim token --data-dir ./data --tenant acme --roles lead-appraiser,appraiser --ttl 1h",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.Tenant == "" || len(cfg.Roles) == 0 {
				return errors.New("--tenant and --roles are required")
			}
			if cfg.TTL <= 0 {
				return errors.New("--ttl must be positive")
			}
			created, err := auth.EnsureDevKey(cfg.DataDir)
			if err != nil {
				return err
			}
			if created {
				cmd.PrintErrf("created a development signing key in %s\n", cfg.DataDir)
			}
			signer, err := auth.LoadSigner(cfg.DataDir, cfg.Issuer, cfg.Audience)
			if err != nil {
				return err
			}
			subject := cfg.Subject
			if subject == "" {
				subject = "dev-user"
			}
			token, err := signer.Mint(subject, cfg.Tenant, cfg.Roles, cfg.TTL)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), token)
			return err
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&cfg.DataDir, "data-dir", "./data", "data dir that holds the development signing key")
	fs.StringVar(&cfg.Tenant, "tenant", "", "tenant id the token acts for")
	fs.StringSliceVar(&cfg.Roles, "roles", nil, "comma-separated roles: admin, content-manager, lead-appraiser, appraiser, viewer")
	fs.StringVar(&cfg.Subject, "subject", "", `token subject (default "dev-user")`)
	fs.DurationVar(&cfg.TTL, "ttl", time.Hour, "token lifetime")
	fs.StringVar(&cfg.Issuer, "jwt-issuer", auth.DefaultIssuer, "issuer (iss) to sign")
	fs.StringVar(&cfg.Audience, "jwt-audience", auth.DefaultAudience, "audience (aud) to sign")
	return cmd
}
