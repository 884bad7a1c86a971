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
	// Operator mints an operator token (ADR 0005) instead of a tenant one.
	Operator         bool
	OperatorAudience string
}

func newTokenCommand() *cobra.Command {
	cfg := &tokenConfig{}
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Mint a token signed with the development key of a data dir",
		Long: `token prints a JWT signed with the development signing key that aim serve
keeps in its data dir. Services started without --jwt-keys accept it.

With --operator it prints an operator token instead, signed with the
development operator key (a key of its own, beside the tenant key) for the
operator audience, with no tenant and no roles. Only operator tokens fetch
backups; services started without --operator-keys and --jwt-keys accept it.`,
		Example: "  aim token --data-dir ./data --tenant acme --roles lead-appraiser,appraiser --ttl 1h\n" +
			"  aim token --data-dir ./data --operator --subject ops-alice --ttl 15m",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.Operator {
				return runOperatorToken(cmd, cfg)
			}
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
	fs.StringVar(&cfg.Subject, "subject", "", `token subject (default "dev-user", or "dev-operator" with --operator)`)
	fs.DurationVar(&cfg.TTL, "ttl", time.Hour, "token lifetime")
	fs.StringVar(&cfg.Issuer, "jwt-issuer", auth.DefaultIssuer, "issuer (iss) to sign")
	fs.StringVar(&cfg.Audience, "jwt-audience", auth.DefaultAudience, "audience (aud) to sign")
	fs.BoolVar(&cfg.Operator, "operator", false, "mint an operator token (backups) with the development operator key; no --tenant or --roles")
	fs.StringVar(&cfg.OperatorAudience, "operator-audience", auth.DefaultOperatorAudience, "audience (aud) of an operator token")
	return cmd
}

// runOperatorToken prints an operator token of the data dir's development
// operator key.
func runOperatorToken(cmd *cobra.Command, cfg *tokenConfig) error {
	if cfg.Tenant != "" || len(cfg.Roles) > 0 {
		return errors.New("--operator takes no --tenant or --roles: operators are no tenant's callers")
	}
	if cfg.TTL <= 0 {
		return errors.New("--ttl must be positive")
	}
	created, err := auth.EnsureDevOperatorKey(cfg.DataDir)
	if err != nil {
		return err
	}
	if created {
		cmd.PrintErrf("created a development operator key in %s\n", cfg.DataDir)
	}
	signer, err := auth.LoadOperatorSigner(cfg.DataDir, cfg.Issuer, cfg.OperatorAudience)
	if err != nil {
		return err
	}
	subject := cfg.Subject
	if subject == "" {
		subject = "dev-operator"
	}
	token, err := signer.Mint(subject, cfg.TTL)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(cmd.OutOrStdout(), token)
	return err
}
