package main

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sightline-sec/sightline/internal/cliutil"
	"github.com/sightline-sec/sightline/internal/report"
	"github.com/sightline-sec/sightline/internal/suggest"
)

// rootLong says what exists today; the HTML report of the ranking is the
// next step (docs/design.md), not a feature yet.
const rootLong = `Sightline treats cloud and containers as one stack. Today it:
  - scans container images, root filesystems and SBOMs for vulnerable OS and
    language packages, with SBOM/SARIF output and CI gates (sightline scan);
  - keeps a local advisory database from OSV, CISA KEV and EPSS (sightline db);
  - snapshots an AWS estate read-only (sightline collect aws);
  - computes which resources and ports the internet can reach, with the
    path that proves it (sightline exposure);
  - ranks every vulnerability by what an attacker can reach, with the path
    or the blocking control (sightline assess; offline on a demo estate:
    sightline demo), as a table, JSON, SARIF, OpenVEX or an HTML report;
  - checks Dockerfiles, Kubernetes, Terraform and AWS against CEL rules, the
    built-in packs and your own (sightline check);
  - guards a Kubernetes cluster as a validating admission webhook: rules
    and an image policy from scan results (sightline admission serve).

Exit codes: 0 ok, 1 a --fail-on threshold was hit, 2 usage or input error,
3 internal or environment error (such as no network for db update).`

const rootExample = `  sightline demo
  sightline db import testdata/quickstart
  sightline scan image nginx:1.25 --fail-on high
  sightline exposure --aws ./snap`

// commandFormats lists the --format values each runnable command supports,
// by command path. It is the one place a format is allowed: every
// command's --help lists its formats from here, and any other value is a
// usage error (exit 2) naming the allowed ones before the command runs.
var commandFormats = map[string][]string{
	"sightline version":     {"table", "json"},
	"sightline db import":   {"table"},
	"sightline db query":    {"table", "json"},
	"sightline db status":   {"table", "json"},
	"sightline db update":   {"table", "json"},
	"sightline db export":   {"table"},
	"sightline scan image":  report.Formats,
	"sightline scan fs":     report.Formats,
	"sightline scan sbom":   report.Formats,
	"sightline collect aws": {"table", "json"},
	"sightline exposure":    {"table", "json"},
	"sightline inventory":   {"table", "json"},
	"sightline assess":      assessFormats,
	"sightline paths":       pathsFormats,
	"sightline check":       checkFormats,
	"sightline demo":        assessFormats,
	// Serves until stopped; its output is JSON log lines, not a report.
	"sightline admission serve": {"table"},
	"sightline completion *":    {"table"}, // shell scripts; --format does not apply
}

func newRootCmd(g *cliutil.Globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "sightline",
		Short:         "Container and cloud security: image scanning and AWS exposure, one stack",
		Long:          rootLong,
		Example:       rootExample,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.CacheDir, "cache-dir", cliutil.DefaultCacheDir(),
		"where the advisory database and caches live (env "+cliutil.CacheDirEnv+")")
	pf.BoolVarP(&g.Verbose, "verbose", "v", false, "print diagnostics on stderr")
	pf.StringVar(&g.Format, "format", "table", "output format; each command's help lists the ones it supports")
	// Unknown flags and bad arguments are usage errors (exit code 2).
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cliutil.Usage(err) })

	root.AddCommand(
		newVersionCmd(g),
		newDBCmd(g),
		newScanCmd(g),
		newCollectCmd(g),
		newExposureCmd(g),
		newInventoryCmd(g),
		newAssessCmd(g),
		newPathsCmd(g),
		newCheckCmd(g),
		newDemoCmd(g),
		newAdmissionCmd(g),
	)
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	wire(root, g)
	return root
}

// checkFormat refuses a --format value the command does not support,
// naming the ones it does.
func checkFormat(g *cliutil.Globals, cmd *cobra.Command) error {
	allowed := formatsOf(cmd)
	if slices.Contains(allowed, g.Format) {
		return nil
	}
	return cliutil.Usagef("--format %q is not supported by %s (supported: %s)%s", g.Format,
		strings.TrimPrefix(cmd.CommandPath(), "sightline "), strings.Join(allowed, ", "), suggest.Hint(g.Format, allowed))
}

// gateFlagNames are the flags that turn findings into exit code 1 (scan and
// check --fail-on, assess --fail-on-exposed).
var gateFlagNames = []string{"fail-on", "fail-on-exposed"}

// checkGateFlags refuses a gate flag given an empty value: in CI an unset
// variable (--fail-on "$SEV") would otherwise turn the gate off without a
// word, and the build would pass whatever it found.
func checkGateFlags(cmd *cobra.Command) error {
	for _, name := range gateFlagNames {
		if f := cmd.Flags().Lookup(name); f != nil && f.Changed && strings.TrimSpace(f.Value.String()) == "" {
			return cliutil.Usagef("--%s was given an empty value: name a severity, or leave the flag out to run without a gate", name)
		}
	}
	return nil
}

// formatsOf is the command's entry in commandFormats; "table" for
// commands without one (groups and help, which print help text only).
func formatsOf(cmd *cobra.Command) []string {
	if f, ok := commandFormats[cmd.CommandPath()]; ok {
		return f
	}
	if cmd.HasParent() {
		if f, ok := commandFormats[cmd.Parent().CommandPath()+" *"]; ok {
			return f
		}
	}
	return []string{"table"}
}

// wire applies the CLI contract to c and every command below it:
//   - --format is checked first, then the argument count; both are usage
//     errors (exit 2);
//   - a command group given an unknown subcommand ("scan imag") fails with
//     exit 2 and cobra's "did you mean" suggestions, instead of printing
//     help and exiting 0; without a subcommand it prints its help;
//   - `help TOPIC` for an unknown topic is the same usage error;
//   - --help lists the formats the command supports.
func wire(c *cobra.Command, g *cliutil.Globals) {
	switch {
	case c.Name() == "help" && c.HasParent():
		c.Run, c.RunE = nil, helpRun
	case c.HasSubCommands() && !c.Runnable():
		c.Args, c.RunE = cobra.ArbitraryArgs, groupRun
	default:
		check := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(g, cmd); err != nil {
				return err
			}
			if err := checkGateFlags(cmd); err != nil {
				return err
			}
			if check == nil {
				return nil
			}
			return cliutil.Usage(check(cmd, args))
		}
	}
	if c.Runnable() && c.Name() != "help" && !c.HasSubCommands() && !strings.Contains(c.Long, "Output formats") {
		c.Long = strings.TrimRight(firstNonEmpty(c.Long, c.Short), "\n") +
			"\n\nOutput formats (--format): " + strings.Join(formatsOf(c), ", ") + "."
	}
	if c.Name() == "completion" && c.Example == "" {
		c.Example = "  sightline completion bash > /etc/bash_completion.d/sightline\n  sightline completion zsh --help"
	}
	if c.Parent() != nil && c.Parent().Name() == "completion" && c.Example == "" {
		c.Example = "  sightline completion " + c.Name() + " > sightline-completion." + c.Name() +
			"\n  source sightline-completion." + c.Name() + "   # see the help above for where to install it"
	}
	for _, sub := range c.Commands() {
		wire(sub, g)
	}
}

// groupRun runs a command group: its help without arguments, else an
// unknown-subcommand usage error.
func groupRun(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	return unknownCommand(cmd, args[0])
}

func unknownCommand(cmd *cobra.Command, name string) error {
	var names []string
	for _, s := range cmd.Commands() {
		if s.IsAvailableCommand() {
			names = append(names, s.Name())
		}
	}
	hint := ""
	if s := cmd.SuggestionsFor(name); len(s) > 0 {
		hint = "; did you mean " + strings.Join(s, " or ") + "?"
	} else if s, ok := suggest.Closest(name, names); ok {
		hint = "; did you mean " + s + "?"
	}
	return cliutil.Usagef("unknown command %q for %q%s (commands: %s)", name, cmd.CommandPath(), hint, strings.Join(names, ", "))
}

// helpRun is `sightline help [COMMAND…]`: an unknown topic is a usage
// error with suggestions, like an unknown command.
func helpRun(cmd *cobra.Command, args []string) error {
	root := cmd.Root()
	target, rest, err := root.Find(args)
	if err != nil || target == nil {
		return cliutil.Usage(err)
	}
	if len(rest) > 0 && target.HasSubCommands() {
		return unknownCommand(target, rest[0])
	}
	return target.Help()
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
