import { usageError } from '../../errors.js';
import type { CliContext, Command } from '../context.js';

/** What a candidate list holding only this asks for: the shell's own file-name completion. */
export const FILES = ':files';

/**
 * Each script is a thin shim: on TAB it asks `tend completion --complete <words…>` for the
 * candidates, so commands, flags, config keys and app names come from tend itself and never
 * drift. `:files` in the answer hands over to the shell's own file-name completion.
 */
const SCRIPTS: Record<string, string> = {
  bash: `# tend completion for bash: eval "$(tend completion bash)" (e.g. in ~/.bashrc)
_tend_complete() {
  local IFS=$'\\n' words
  words=$(tend completion --complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return 0
  if [ "$words" = "${FILES}" ]; then
    compopt -o default 2>/dev/null
    COMPREPLY=()
  else
    COMPREPLY=($words)
  fi
}
complete -o default -F _tend_complete tend
`,
  zsh: `#compdef tend
# tend completion for zsh: eval "$(tend completion zsh)" (e.g. in ~/.zshrc, after compinit)
_tend() {
  local -a words_out
  words_out=("\${(@f)$(tend completion --complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ "\${words_out[1]}" == "${FILES}" ]]; then
    _files
  else
    compadd -- "\${words_out[@]}"
  fi
}
compdef _tend tend
`,
  fish: `# tend completion for fish: tend completion fish | source (e.g. in ~/.config/fish/config.fish)
function __tend_complete
  set -l words (commandline -opc)[2..-1] (commandline -ct)
  set -l out (tend completion --complete -- $words 2>/dev/null)
  if test "$out" = "${FILES}"
    __fish_complete_path (commandline -ct)
  else
    printf '%s\\n' $out
  end
end
complete -c tend -f -a '(__tend_complete)'
`,
};

export const completion: Command = {
  options: {},
  help: `
Synopsis
  tend completion bash|zsh|fish       print the completion script for that shell

Install
  bash   eval "$(tend completion bash)"       in ~/.bashrc
  zsh    eval "$(tend completion zsh)"        in ~/.zshrc, after compinit
  fish   tend completion fish | source        in ~/.config/fish/config.fish

Notes
  TAB completes commands, their flags (every app setting of \`tend start\`), enum values
  (--exec-mode, --log-type, signals) and the names of the running daemon's apps; it never starts
  a daemon.

Exit codes
  0 printed; 2 unknown shell`,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const script = argv.length === 1 ? SCRIPTS[argv[0] as string] : undefined;
    if (script === undefined)
      throw usageError(
        argv.length === 0 ? '`tend completion` needs a shell' : `no completion for \`${argv.join(' ')}\``,
        'Use: tend completion bash, tend completion zsh or tend completion fish',
      );
    ctx.out(script);
    return 0;
  },
};
