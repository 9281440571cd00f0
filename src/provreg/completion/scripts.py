"""The completion scripts for bash, zsh and fish.

Each script holds the spec (`provreg.completion.spec`) in a variable and, at
each TAB, pipes it to `provreg __complete` with the words typed so far; the
answer is `files` (the shell completes file names) or `values` and the
candidates. The logic lives in Python once (`provreg.completion.resolve`), so
the three shells cannot disagree; the scripts only translate. A candidate
ending in `=` (`--set api_key=`) gets no space after it.
"""

from __future__ import annotations

import json

from provreg.completion.spec import Spec

SHELLS = ("bash", "zsh", "fish")

_BASH = r"""# provreg completion for bash: `eval "$(provreg completion bash)"` in ~/.bashrc,
# or this output saved as ~/.local/share/bash-completion/completions/provreg.
_provreg_spec=@SPEC@

_provreg() {
    local cur=${COMP_WORDS[COMP_CWORD]} line=${COMP_LINE:0:COMP_POINT} eq=
    # bash splits `--set=x` at `=`: the word then is `=` or what follows it.
    if [[ $cur == = ]]; then cur= eq==; fi
    local answer
    answer=$(printf '%s' "$_provreg_spec" |
        command "${COMP_WORDS[0]}" __complete --line "$line" 2>/dev/null) || return 0
    local -a lines=()
    local item
    while IFS= read -r item; do lines+=("$item"); done <<<"$answer"
    COMPREPLY=()
    if [[ ${lines[0]} == files ]]; then
        compopt -o filenames 2>/dev/null
        while IFS= read -r item; do
            [[ -n $item ]] && COMPREPLY+=("$eq$item")
        done < <(compgen -f -- "$cur")
        return 0
    fi
    [[ ${lines[0]} == values ]] || return 0
    # provreg answers whole words; bash replaces only the part after a `=` or `:`.
    local typed=${line##*[[:space:]]}
    local strip=${typed%"$cur"}
    for item in "${lines[@]:1}"; do
        [[ -n $item ]] || continue
        COMPREPLY+=("$eq${item#"$strip"}")
        [[ $item == *= ]] && compopt -o nospace 2>/dev/null
    done
    return 0
}
complete -F _provreg provreg
"""

_ZSH = r"""#compdef provreg
# provreg completion for zsh: this output saved as `_provreg` in a directory on
# $fpath (before `compinit` runs), or `source <(provreg completion zsh)` after it.
_provreg_spec=@SPEC@

_provreg() {
    local -a lines plain equals
    lines=("${(@f)$(print -rn -- "$_provreg_spec" |
        command "${words[1]}" __complete -- "${(@)words[1,CURRENT-1]}" "$PREFIX" 2>/dev/null)}")
    if [[ ${lines[1]} == files ]]; then
        _files
        return
    fi
    [[ ${lines[1]} == values ]] || return 1
    local item
    for item in "${(@)lines[2,-1]}"; do
        [[ -n $item ]] || continue
        if [[ $item == *= ]]; then equals+=("$item"); else plain+=("$item"); fi
    done
    (( ${#plain} )) && compadd -Q -- "${plain[@]}"
    (( ${#equals} )) && compadd -Q -S '' -- "${equals[@]}"
    return 0
}

if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
    _provreg "$@"
else
    compdef _provreg provreg
fi
"""

_FISH = r"""# provreg completion for fish: this output saved as
# ~/.config/fish/completions/provreg.fish.
set -g __provreg_spec @SPEC@

function __provreg_complete
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    set -l lines (printf '%s' $__provreg_spec |
        command $tokens[1] __complete -- $tokens "$current" 2>/dev/null)
    set -l kind $lines[1]
    set -e lines[1]
    if test "$kind" = files
        __fish_complete_path "$current"
    else if test "$kind" = values
        printf '%s\n' $lines
    end
end

complete -c provreg -f -a '(__provreg_complete)'
"""


def _single_quoted(text: str) -> str:
    """`text` as one POSIX-shell word (bash, zsh)."""
    return "'" + text.replace("'", "'\\''") + "'"


def _fish_quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def script(shell: str, spec: Spec) -> str:
    """The completion script for `shell` (one of `SHELLS`)."""
    data = json.dumps(spec, separators=(",", ":"), sort_keys=True)
    if shell == "fish":
        return _FISH.replace("@SPEC@", _fish_quoted(data))
    template = {"bash": _BASH, "zsh": _ZSH}[shell]
    return template.replace("@SPEC@", _single_quoted(data))
