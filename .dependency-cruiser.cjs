/**
 * Import rules (issue 12), checked by `npm run lint` (and so by `npm test` and CI): layers import
 * only downward. `npx depcruise src` shows every violation with the rule's name.
 */
/** Wire-format parsers: pure functions over bytes, testable without sockets. */
const WIRE_PARSERS = [
  '^src/proxy/socks5-messages\\.ts$',
  '^src/proxy/http-head\\.ts$',
  '^src/proxy/read-handshake\\.ts$',
  '^src/proxy/read-reply\\.ts$',
  '^src/proxy/digest\\.ts$',
  '^src/proxy/basic-auth\\.ts$',
  '^src/proxy/auth-challenge\\.ts$',
  '^src/proxy/proxy-spec\\.ts$',
  '^src/proxy-protocol/',
  '^src/relay/telnet\\.ts$',
  '^src/relay/crlf\\.ts$',
  '^src/relay/chat-text\\.ts$',
  '^src/relay/hexdump\\.ts$',
  '^src/relay/pty-resize\\.ts$',
  '^src/address/host-spec\\.ts$',
  '^src/address/host-port\\.ts$',
  '^src/address/ip\\.ts$',
  '^src/address/ip-bytes\\.ts$',
  '^src/address/port\\.ts$',
  '^src/packet/',
];

module.exports = {
  forbidden: [
    {
      name: 'nothing-imports-cli',
      comment: 'cli/ is the top layer: nothing outside it imports it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'wire-parsers-no-sockets',
      comment: 'Wire parsers work on bytes: no net, tls or dgram, directly or through imports.',
      severity: 'error',
      from: { path: WIRE_PARSERS },
      to: { path: '^(node:)?(net|tls|dgram)$', reachable: true },
    },
    {
      name: 'tube-no-transport',
      comment: 'tube/ is below the transports: it imports none of them (nor the native sockets).',
      severity: 'error',
      from: { path: '^src/tube/' },
      to: {
        path: [
          '^src/transports/',
          '^src/native/',
          '^src/tls/',
          '^src/proxy/',
          '^(node:)?(net|tls|dgram)$',
        ],
      },
    },
    {
      name: 'no-folder-cycles',
      comment: 'Folders (layers) import each other in one direction only.',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-module-cycles',
      comment: 'No import cycles between modules either (args <-> dialect, exec <-> listen, ...).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: ['^src/', '^(node:)?(net|tls|dgram)$'],
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
