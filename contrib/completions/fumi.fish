complete -c fumi -l auto-spam-above -d '--auto-update learns spam only above this probability' -r
complete -c fumi -l auto-clean-below -d '--auto-update learns clean only below this probability' -r
complete -c fumi -l expire -d 'Drop tokens not trained for DAYS days (with --expire-count: only those also that rare)' -r
complete -c fumi -l expire-count -d 'Drop tokens seen at most N times in all (with --expire: only those also that old)' -r
complete -c fumi -l header-prefix -d 'Header names become X-PREFIX-Flag and X-PREFIX-Probability' -r
complete -c fumi -l spam-subject-prefix -d 'The prefix for --mark-spam-subject' -r
complete -c fumi -s m -l method -d 'Combining method: rf (Robinson-Fisher), r (Robinson), g (Graham)' -r -f -a "rf\t''
r\t''
g\t''
RF\t''
R\t''
G\t''"
complete -c fumi -l spam-cutoff -d 'Spam if the probability is above this (default rf 0.7, r 0.582, g 0.9)' -r
complete -c fumi -l ham-cutoff -d 'Clean only at or below this; in between the verdict is unsure' -r
complete -c fumi -l robs -d 'Robinson\'s s, the strength of the prior (default 0.1)' -r
complete -c fumi -l robx -d 'Robinson\'s x, the probability of an unknown token (default 0.46)' -r
complete -c fumi -l min-dev -d 'Ignore tokens with |f(w) - 0.5| below this (default 0.25)' -r
complete -c fumi -l min-dev-above -d 'Apply --min-dev only to messages with more than N distinct tokens; 0: to all (default 600)' -r
complete -c fumi -l young-below -d 'Young database: until it holds N spam and N clean messages, --robs is at least 0.3 and --min-dev is off; after an import, until fumi has trained N of each itself, only tokens the database has seen count; 0: never (default 400)' -r
complete -c fumi -l max-clues -d 'Use at most N clues (0: all)' -r
complete -c fumi -l max-message-size -d 'Bytes of a message read for scoring and training (the rest passes through unread)' -r
complete -c fumi -l max-part-size -d 'Bytes of decoded text read from each MIME part' -r
complete -c fumi -l spam -d '--eval: spam messages (files, Maildirs, directories; mbox files with --mbox)' -r -F
complete -c fumi -l clean -d '--eval: clean messages' -r -F
complete -c fumi -l folds -d '--eval: number of cross-validation folds' -r
complete -c fumi -l seed -d '--eval: seed of the 50/50 split and of the online order (as ../shared/bench)' -r
complete -c fumi -l report -d '--eval: also write an HTML report (ROC curve, score histograms) to FILE' -r -F
complete -c fumi -l db -d 'The database: redis://[USER:PASS@]HOST:PORT/N, rediss://… (TLS), redis+unix:///PATH?db=N, or an LMDB directory path (default: the home directory); bsfilter\'s type names (sdbm, gdbm, …) are accepted and ignored' -r
complete -c fumi -l redis-prefix -d 'Namespace of this database on the Redis server (one per user or domain)' -r
complete -c fumi -l redis-timeout -d 'Give up connecting to Redis, and on each Redis command, after MS milliseconds' -r
complete -c fumi -l redis-sentinel -d '--db names Redis Sentinels (comma-separated HOST:PORT); ask them for the primary called NAME' -r
complete -c fumi -l redis-ca -d 'rediss://: trust the certificate authorities in this PEM file instead of the system\'s' -r -F
complete -c fumi -l copy-db-to -d 'Copy the whole database into an empty one at URL (Redis) or DIR (LMDB)' -r
complete -c fumi -l copy-db-from -d 'Copy the whole database at URL (Redis) or DIR (LMDB) into this (empty) one' -r
complete -c fumi -l milter -d 'Run as a milter for Postfix or Sendmail on ADDR: inet:127.0.0.1:8894, inet:8894 (loopback) or unix:/path' -r
complete -c fumi -l milter-socket-mode -d 'Permissions of a unix: milter socket (octal)' -r
complete -c fumi -l milter-reject -d 'Reject messages above this spam probability with 550 5.7.1 at the end of DATA' -r
complete -c fumi -l milter-quarantine -d 'Quarantine (Postfix: hold queue) messages above this spam probability' -r
complete -c fumi -l milter-skip-network -d 'Do not scan mail from these client networks (CIDR, repeatable or comma-separated)' -r
complete -c fumi -l milter-log -d 'Where the milter logs one line per message: stderr or syslog (facility mail)' -r -f -a "stderr\t''
syslog\t''"
complete -c fumi -l homedir -d 'The database directory (default: $FUMI_HOME, else ~/.fumi)' -r -F
complete -c fumi -l config-file -d 'Read options from FILE (default: <home>/fumi.conf)' -r -F
complete -c fumi -s j -l jtokenizer -d 'No effect: fumi segments Japanese with its built-in IPADIC dictionary' -r
complete -c fumi -l max-line -d 'No effect: fumi limits by bytes (--max-message-size, --max-part-size)' -r
complete -c fumi -l refer-header -d 'No effect: fumi chooses the headers it reads itself' -r
complete -c fumi -l mark-in-token -d 'No effect: fumi splits words by Unicode rules' -r
complete -c fumi -l max-mail -d 'No effect: fumi expires by age and count instead (--expire, --expire-count)' -r
complete -c fumi -l min-mail -d 'No effect (see --max-mail)' -r
complete -c fumi -l pid-file -d 'No effect: fumi runs no daemon (bsfilter used it for --pop)' -r
complete -c fumi -l imap-server -d 'Only meaningful with --imap/--pop: accepted (e.g. from bsfilter.conf), no effect' -r
complete -c fumi -l imap-port -d 'Only with --imap: no effect' -r
complete -c fumi -l imap-auth -d 'Only with --imap: no effect' -r
complete -c fumi -l imap-user -d 'Only with --imap: no effect' -r
complete -c fumi -l imap-password -d 'Only with --imap: no effect' -r
complete -c fumi -l imap-folder-clean -d 'Only with --imap: no effect' -r
complete -c fumi -l imap-folder-spam -d 'Only with --imap: no effect' -r
complete -c fumi -l ssl-cert -d 'Only with --imap/--pop: no effect' -r
complete -c fumi -l pop-server -d 'Only with --pop: no effect' -r
complete -c fumi -l pop-port -d 'Only with --pop: no effect' -r
complete -c fumi -l pop-proxy-if -d 'Only with --pop: no effect' -r
complete -c fumi -l pop-proxy-port -d 'Only with --pop: no effect' -r
complete -c fumi -l pop-user -d 'Only with --pop: no effect' -r
complete -c fumi -l pop-proxy-set -d 'Only with --pop: no effect (may be repeated)' -r
complete -c fumi -l pop-max-size -d 'Only with --pop: no effect' -r
complete -c fumi -l icon-number -d 'Windows task tray icon (bsfilterw): no effect' -r
complete -c fumi -l generate -d 'Write the manual page (man) or a shell completion script (bash, zsh, fish) to standard output' -r -f -a "man\t''
bash\t''
zsh\t''
fish\t''"
complete -c fumi -s c -l add-clean -d 'Learn the messages as clean (ham)'
complete -c fumi -s s -l add-spam -d 'Learn the messages as spam'
complete -c fumi -s C -l sub-clean -d 'Unlearn messages that were learned as clean'
complete -c fumi -s S -l sub-spam -d 'Unlearn messages that were learned as spam'
complete -c fumi -s u -l update -d 'Accepted for bsfilter compatibility; fumi needs no separate probability update'
complete -c fumi -s a -l auto-update -d 'While filtering, learn each message as its verdict when the verdict is confident'
complete -c fumi -l pipe -d 'Write the message to standard output with the headers inserted; exit 0'
complete -c fumi -l insert-flag -d 'Insert X-Spam-Flag: Yes|No'
complete -c fumi -l insert-probability -d 'Insert X-Spam-Probability: 0.123456'
complete -c fumi -l insert-revision -d 'Insert X-Spam-Revision: fumi VERSION'
complete -c fumi -l mark-spam-subject -d 'Prefix the Subject of spam'
complete -c fumi -l list-spam -d 'Print the names of the spam inputs'
complete -c fumi -l list-clean -d 'Print the names of the clean inputs'
complete -c fumi -l scan -d 'Score every message: PROBABILITY<TAB>VERDICT<TAB>NAME per line, in input order'
complete -c fumi -l explain -d 'Print the clues behind each verdict (token, counts, f(w))'
complete -c fumi -l mbox -d 'Split FILEs into messages at "From " lines'
complete -c fumi -l show-tokens -d 'Print the message\'s tokens, CATEGORY<TAB>TOKEN, in order of appearance'
complete -c fumi -l show-db-status -d 'Print the database status as KEY<TAB>VALUE lines'
complete -c fumi -l eval -d 'Measure accuracy on your own mail (--spam/--clean), without touching the database'
complete -c fumi -l redis-cluster -d '--db names the nodes of a Redis Cluster, comma-separated (a database lives on one node)'
complete -c fumi -l milter-scan-authenticated -d 'Scan mail from authenticated (SMTP AUTH) clients too; by default it passes unscanned'
complete -c fumi -s q -l quiet -d 'Print nothing but results'
complete -c fumi -s v -l verbose -d 'Print what is done to standard error'
complete -c fumi -s V -l version -d 'Print the version'
complete -c fumi -l import-clean -d 'Add a bsfilter --export-clean dump (FILE, or standard input) to the clean counts'
complete -c fumi -l import-spam -d 'Add a bsfilter --export-spam dump (FILE, or standard input) to the spam counts'
complete -c fumi -l import-bogofilter -d 'Add a bogofilter dump (bogoutil -d wordlist.db) from FILE or standard input'
complete -c fumi -l export-clean -d 'Write the clean counts in bsfilter\'s export format to FILE (default: standard output)'
complete -c fumi -l export-spam -d 'Write the spam counts in bsfilter\'s export format to FILE (default: standard output)'
complete -c fumi -l export-probability -d 'Write every token\'s f(w) in bsfilter\'s format to FILE (for inspection; not importable)'
complete -c fumi -l export-db -d 'Write the whole database (counts, days, message counts, trained digests) to FILE'
complete -c fumi -l import-db -d 'Restore a --export-db dump from FILE into an empty database'
complete -c fumi -l bsfilter-compat -d 'Behave as bsfilter (implied when run as `bsfilter`): read <home>/bsfilter.conf if there is no fumi.conf'
complete -c fumi -s d -l debug -d 'bsfilter: print every token and the clues; fumi: same as --explain'
complete -c fumi -l show-process -d 'bsfilter: a line per message; fumi: same as -v'
complete -c fumi -s D -l disable-degeneration -d 'No effect: fumi has no lookup fallback; it folds case when it learns'
complete -c fumi -l disable-utf-8 -d 'No effect: fumi always decodes every charset to Unicode'
complete -c fumi -l refer-all-header -d 'No effect: fumi already reads every header that says something about the sender'
complete -c fumi -s H -l ignore-header -d 'No effect (header tokens are always used)'
complete -c fumi -s B -l ignore-body -d 'No effect (body tokens are always used)'
complete -c fumi -l ignore-plain-text-part -d 'No effect: fumi reads the HTML and the plain text part'
complete -c fumi -l ignore-after-last-atag -d 'No effect: fumi reads all of an HTML part'
complete -c fumi -l show-new-token -d 'No effect: fumi never prints bsfilter\'s "new" token lines'
complete -c fumi -l imap -d 'Not implemented: an error (exit 2); filter at delivery instead (README: procmail, Dovecot)'
complete -c fumi -l pop -d 'Not implemented: an error (exit 2); filter at delivery instead (README: procmail, Dovecot)'
complete -c fumi -l imap-fetch-unseen -d 'Only with --imap: no effect'
complete -c fumi -l imap-fetch-unflagged -d 'Only with --imap: no effect'
complete -c fumi -l imap-reset-seen-flag -d 'Only with --imap: no effect'
complete -c fumi -l ssl -d 'Only with --imap/--pop: no effect'
complete -c fumi -l tasktray -d 'Windows task tray (bsfilterw): no effect'
complete -c fumi -s h -l help -d 'Print help (see more with \'--help\')'
