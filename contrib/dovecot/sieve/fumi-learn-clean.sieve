# IMAPSieve, a message leaves Junk: fumi learns it as clean, unless it goes
# to Trash (deleting spam says nothing about it).
require ["vnd.dovecot.pipe", "copy", "imapsieve", "environment", "variables"];

if environment :matches "imap.mailbox" "*" {
  set "mailbox" "${1}";
}
if string :is "${mailbox}" "Trash" {
  stop;
}
pipe :copy "fumi-learn-clean";
