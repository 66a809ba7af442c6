/** Strings a shell would love to misinterpret (shared by the unit and contract tests). */
export const HOSTILE = [
  '', ' ', "'", '"', "''", '\\', '\\\\', '$HOME', '${HOME}', '$(id)', '`id`', ';id', '&& id', '|| id', '| cat',
  '> /tmp/x', '< /etc/passwd', '*', '?', '[a-z]', '~', '~root', '#comment', '!', '!!', 'a\nb', '\t', 'a b  c',
  "it's \"quoted\"", '-n', '--', '%s%n', 'ünïcødé ✓', '\x01\x7f', "'$(echo pwned)'", 'a\\\'b',
];

