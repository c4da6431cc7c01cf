// Package dockerfile reads Dockerfiles for `sightline check`: one
// check.Object (Input "dockerfile", Type "Dockerfile", Name = the path) per
// file, parsed with the BuildKit Dockerfile parser
// (github.com/moby/buildkit/frontend/dockerfile/parser: line
// continuations, here-documents, parser directives, the escape character
// exactly as `docker build` reads them). RUN shell text is split into
// commands with mvdan.cc/sh (bash dialect). The user documentation, with
// the rules of the built-in pack, is docs/check-dockerfile.md.
//
// Object.Data (CEL `object`), JSON-shaped; ints are int64:
//
//	file          string   the path as given
//	escape        string   escape character ("\\" or "`")
//	syntax        string   the syntax directive, "" when absent
//	directives    map      parser directives as written {syntax, escape, check}
//	instructions  list     every instruction in file order:
//	  index int, cmd string (lower case: "run"), args list(string) (as the
//	  parser split them; ENV/LABEL as "KEY=value", exec form as the JSON
//	  items), flags list(string) ("--from=builder"), json bool (exec form),
//	  original string (the instruction with continuations joined),
//	  line, end_line int (1-based), stage int (-1: an ARG before the first
//	  FROM), heredocs list({name, content, expand}); ADD and COPY also have
//	  sources list(string) and dest string.
//	stages        list     one per FROM:
//	  index, name (lower case, "" without AS), base (as written),
//	  base_expanded (global ARG defaults substituted), base_kind ("image" |
//	  "stage" | "scratch" | "unknown"), base_stage (index of the stage it is
//	  built FROM, -1), base_parts {registry, repository, tag, digest} for
//	  kind "image" ("python" → docker.io, library/python, "", ""), platform
//	  (--platform), user (last USER in the stage, ""), healthcheck (last
//	  HEALTHCHECK type in the stage: "cmd", "none", ""), line, in_final_image
//	  bool, instructions (the stage's entries of the list above).
//	args, env     list     each ARG / ENV entry: name, value (as written,
//	  quotes kept), value_unquoted, has_value (ARG NAME without =: false),
//	  references_var (the value uses $X), line, index (of the
//	  instruction), stage.
//	labels        list     LABEL entries, same shape.
//
// Object.Vars (CEL `vars`):
//
//	final_stage              the last stage's map
//	final_stage_index        int
//	final_chain              list(int): the final stage and the stages it is built FROM
//	final_user               effective USER of the final stage (inherited through
//	                         FROM <stage>), "" when the Dockerfile sets none
//	final_user_root          bool: final_user is root or 0 (with or without :group)
//	final_user_index/_line/_stage  where that USER is (-1/0/-1 when none)
//	final_healthcheck        "cmd" | "none" | "" (inherited like USER)
//	final_healthcheck_index/_stage
//	runs                     one per RUN: index, stage, line, form ("shell" |
//	  "exec"), script, parsed bool, error, in_final_image bool, mounts
//	  list({type, target}), pip_no_cache_env bool (ENV PIP_NO_CACHE_DIR set
//	  in the stage), commands list, pipelines list(list(command)).
//	  A command is {name, args, argv, subcommand, wrapped_by}: name is the
//	  program's base name (pip3, pip3.12 and python -m pip are "pip"),
//	  subcommand the first non-option argument (apt-get's -o/-c/-t values
//	  skipped); a sudo or env wrapper adds the wrapped command with
//	  wrapped_by set. Commands inside $(…), if, for, && and || chains are
//	  all listed.
//
// Object.Lines maps "instructions[i]", "stages[i]", "stages[i].base",
// "args[i]" and "env[i]" to their 1-based line, so a rule that returns
// such a path gets that line in its finding.
//
// Object.Unknown lists stages[i].base_expanded, .base_parts and .base_kind
// when FROM uses an ARG without a default value, or the reference is not
// valid (then also a Gap at the FROM line, as BuildKit would refuse it);
// and vars.final_user… / vars.final_healthcheck… when the final stage's
// chain reaches such a base before a USER / HEALTHCHECK (the base could be
// a stage that sets one). Rules that read these give an unknown result.
//
// Object.Ignores: each "# sightline:ignore RULE-ID reason" comment line
// covers the next instruction; its Line is set to the line just before
// that instruction (see ignores).
//
// Errors and gaps: a file over MaxSize, with a NUL byte or invalid UTF-8,
// a line over 65535 bytes, a BuildKit syntax error, an unknown
// instruction, no FROM, or an instruction other than ARG before the first
// FROM is a *ParseError with the file and line (Read turns it into a
// check.Gap). A RUN whose shell text does not parse, and RUNs under a
// non-POSIX SHELL (powershell, cmd), are Gaps next to a valid Object: their
// commands are absent from vars.runs, never guessed.
package dockerfile
