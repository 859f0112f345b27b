// completion.ts: `hl completion bash|zsh|fish` prints a completion script:
// commands, each command's flags, files, and the guest's function names after
// --fn (through `hl inspect --names`) once the guest path is on the line.
import { Command } from 'commander';
import { usage } from '../../errors';

function flagsOf(root: Command): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const c of root.commands) {
    out[c.name()] = [...c.options.flatMap((o) => [o.long, o.short].filter((f): f is string => !!f)), '--help'];
  }
  return out;
}

// Every candidate is literal text: read line by line and kept when it starts
// with the word being completed ([[ == "$cur"* ]] quotes the prefix). Never
// `compgen -W`, which expands $(...), backticks and globs in its word list,
// and never eval: function names come from the guest, which is hostile.
function bash(root: Command): string {
  const flags = flagsOf(root);
  const cases = Object.entries(flags)
    .map(([cmd, f]) => `      ${cmd}) opts='${f.join(' ')}' ;;`)
    .join('\n');
  return `# hl completion for bash: source <(hl completion bash)
_hl_guest() {
  local w
  for w in "\${COMP_WORDS[@]:2}"; do
    case "$w" in -*) ;; *) if [ -f "$w" ]; then printf '%s' "$w"; return; fi ;; esac
  done
}
# COMPREPLY = the lines on stdin that start with $1, as they are.
_hl_literal() {
  local cur="$1" line
  COMPREPLY=()
  while IFS= read -r line; do
    [[ -n "$line" && "$line" == "$cur"* ]] && COMPREPLY+=("$line")
  done
}
_hl() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    _hl_literal "$cur" < <(printf '%s\\n' ${Object.keys(flags).join(' ')} help --help --version)
    return
  fi
  if [ "$prev" = "--fn" ]; then
    local guest; guest="$(_hl_guest)"
    COMPREPLY=()
    [ -n "$guest" ] && _hl_literal "$cur" < <(hl inspect "$guest" --names --timeout 2s 2>/dev/null)
    return
  fi
  if [[ "$cur" == -* ]]; then
    local opts=""
    case "\${COMP_WORDS[1]}" in
${cases}
    esac
    _hl_literal "$cur" < <(printf '%s\\n' $opts)
    return
  fi
  _hl_literal "" < <(compgen -f -- "$cur")
}
complete -o filenames -F _hl hl
`;
}

function zsh(root: Command): string {
  return `# hl completion for zsh: source <(hl completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bash(root)}`;
}

function fish(root: Command): string {
  const flags = flagsOf(root);
  const lines = [
    '# hl completion for fish: hl completion fish | source',
    'function __hl_guest',
    '  for w in (commandline -opc)[3..-1]',
    '    if string match -q -- "-*" $w; continue; end',
    '    if test -f $w; echo $w; return; end',
    '  end',
    'end',
    `complete -c hl -f -n '__fish_use_subcommand' -a '${Object.keys(flags).join(' ')}'`,
  ];
  for (const [cmd, f] of Object.entries(flags)) {
    for (const flag of f) {
      if (flag.startsWith('--')) lines.push(`complete -c hl -n '__fish_seen_subcommand_from ${cmd}' -l ${flag.slice(2)}`);
      else lines.push(`complete -c hl -n '__fish_seen_subcommand_from ${cmd}' -s ${flag.slice(1)}`);
    }
  }
  lines.push(`complete -c hl -f -n '__fish_seen_subcommand_from run bench; and __fish_prev_arg_in --fn' -a '(hl inspect (__hl_guest) --names --timeout 2s 2>/dev/null)'`);
  return lines.join('\n') + '\n';
}

export function completionCommand(root: () => Command): Command {
  return new Command('completion')
    .description('print a shell completion script (bash, zsh or fish)')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText('after', `
Examples:
  $ source <(hl completion bash)          # in ~/.bashrc
  $ source <(hl completion zsh)           # in ~/.zshrc
  $ hl completion fish > ~/.config/fish/completions/hl.fish`)
    .action((shell: string) => {
      const make = { bash, zsh, fish }[shell];
      if (!make) throw usage(`no completion for "${shell}": choose bash, zsh or fish`);
      process.stdout.write(make(root()));
    });
}
