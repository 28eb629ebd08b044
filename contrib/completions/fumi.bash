_fumi() {
    local i cur prev opts cmd
    COMPREPLY=()
    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
        cur="$2"
    else
        cur="${COMP_WORDS[COMP_CWORD]}"
    fi
    prev="$3"
    cmd=""
    opts=""

    for i in "${COMP_WORDS[@]:0:COMP_CWORD}"
    do
        case "${cmd},${i}" in
            ",$1")
                cmd="fumi"
                ;;
            *)
                ;;
        esac
    done

    case "${cmd}" in
        fumi)
            opts="-c -s -C -S -u -a -m -q -v -V -d -j -D -H -B -h --add-clean --add-spam --sub-clean --sub-spam --update --auto-update --auto-spam-above --auto-clean-below --expire --expire-count --pipe --insert-flag --insert-probability --insert-revision --header-prefix --mark-spam-subject --spam-subject-prefix --list-spam --list-clean --scan --explain --mbox --method --spam-cutoff --ham-cutoff --robs --robx --min-dev --min-dev-above --young-below --max-clues --max-message-size --max-part-size --show-tokens --show-db-status --eval --spam --clean --folds --seed --report --db --redis-prefix --redis-timeout --redis-cluster --redis-sentinel --redis-ca --copy-db-to --copy-db-from --milter --milter-socket-mode --milter-reject --milter-quarantine --milter-skip-network --milter-scan-authenticated --milter-log --homedir --config-file --quiet --verbose --version --import-clean --import-spam --import-bogofilter --export-clean --export-spam --export-probability --export-db --import-db --bsfilter-compat --debug --show-process --jtokenizer --max-line --disable-degeneration --disable-utf-8 --refer-header --refer-all-header --ignore-header --ignore-body --ignore-plain-text-part --ignore-after-last-atag --mark-in-token --max-mail --min-mail --show-new-token --pid-file --imap --pop --imap-server --imap-port --imap-auth --imap-user --imap-password --imap-folder-clean --imap-folder-spam --imap-fetch-unseen --imap-fetch-unflagged --imap-reset-seen-flag --ssl --ssl-cert --pop-server --pop-port --pop-proxy-if --pop-proxy-port --pop-user --pop-proxy-set --pop-max-size --tasktray --icon-number --generate --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --auto-spam-above)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --auto-clean-below)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --expire)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --expire-count)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --header-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --spam-subject-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --method)
                    COMPREPLY=($(compgen -W "rf r g RF R G" -- "${cur}"))
                    return 0
                    ;;
                -m)
                    COMPREPLY=($(compgen -W "rf r g RF R G" -- "${cur}"))
                    return 0
                    ;;
                --spam-cutoff)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --ham-cutoff)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --robs)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --robx)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --min-dev)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --min-dev-above)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --young-below)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --max-clues)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --max-message-size)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --max-part-size)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --spam)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --clean)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --folds)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --seed)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --report)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --db)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --redis-prefix)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --redis-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --redis-sentinel)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --redis-ca)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --copy-db-to)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --copy-db-from)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --milter)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --milter-socket-mode)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --milter-reject)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --milter-quarantine)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --milter-skip-network)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --milter-log)
                    COMPREPLY=($(compgen -W "stderr syslog" -- "${cur}"))
                    return 0
                    ;;
                --homedir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --jtokenizer)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -j)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --max-line)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --refer-header)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --mark-in-token)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --max-mail)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --min-mail)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --pid-file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --imap-server)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --imap-port)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --imap-auth)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --imap-user)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --imap-password)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --imap-folder-clean)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --imap-folder-spam)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --ssl-cert)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --pop-server)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --pop-port)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --pop-proxy-if)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --pop-proxy-port)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --pop-user)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --pop-proxy-set)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --pop-max-size)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --icon-number)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --generate)
                    COMPREPLY=($(compgen -W "man bash zsh fish" -- "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
    esac
}

if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _fumi -o nosort -o bashdefault -o default fumi
else
    complete -F _fumi -o bashdefault -o default fumi
fi
