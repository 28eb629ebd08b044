# IMAPSieve, a message arrives in Junk: fumi learns it as spam.
require ["vnd.dovecot.pipe", "copy", "imapsieve"];

pipe :copy "fumi-learn-spam";
