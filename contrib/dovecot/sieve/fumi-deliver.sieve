# Run at delivery (sieve_before): fumi adds X-Spam-Flag and
# X-Spam-Probability; spam goes to Junk. If fumi cannot run, the filter
# leaves the message unchanged and it is delivered to the inbox.
require ["vnd.dovecot.filter", "fileinto", "mailbox"];

filter "fumi-filter";

if header :is "X-Spam-Flag" "Yes" {
  fileinto :create "Junk";
  stop;
}
