import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNetTable } from '../../src/metrics/ports.js';
import { formatPorts } from '../../src/protocol/ports.js';

const HEAD = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const row = (local: string, remote: string, st: string, inode: number): string =>
  `   0: ${local} ${remote} ${st} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 100 0 0 10 0\n`;

describe('/proc/net tables', () => {
  it('keeps TCP sockets in LISTEN, with v4 and v6 addresses decoded', () => {
    const v4 = parseNetTable(
      HEAD +
        row('0100007F:1F90', '00000000:0000', '0A', 11) +
        row('0100007F:1F90', '0100007F:D431', '01', 12) +
        row('00000000:0050', '00000000:0000', '0A', 13),
      'tcp',
      false,
    );
    assert.deepEqual(
      [...v4],
      [
        [11, { proto: 'tcp', address: '127.0.0.1', port: 8080 }],
        [13, { proto: 'tcp', address: '0.0.0.0', port: 80 }],
      ],
    );
    const v6 = parseNetTable(
      HEAD +
        row('00000000000000000000000001000000:0BB8', '00000000000000000000000000000000:0000', '0A', 21) +
        row('00000000000000000000000000000000:0BB9', '00000000000000000000000000000000:0000', '0A', 22) +
        row('0000000000000000FFFF00000100007F:0BBA', '00000000000000000000000000000000:0000', '0A', 23) +
        row('000080FE00000000000000000100ADDE:0BBB', '00000000000000000000000000000000:0000', '0A', 24),
      'tcp',
      true,
    );
    assert.deepEqual(
      [...v6.values()].map((p) => `${p.address} ${p.port}`),
      ['::1 3000', ':: 3001', '::ffff:127.0.0.1 3002', 'fe80::dead:1 3003'],
    );
  });

  it('keeps bound UDP sockets with no peer, not connected ones nor port 0', () => {
    const udp = parseNetTable(
      HEAD +
        row('0100007F:0035', '00000000:0000', '07', 31) +
        row('0100007F:C000', '08080808:0035', '01', 32) +
        row('00000000:0000', '00000000:0000', '07', 33),
      'udp',
      false,
    );
    assert.deepEqual([...udp], [[31, { proto: 'udp', address: '127.0.0.1', port: 53 }]]);
  });

  it('formats a list cell: any address unnamed, UDP marked, duplicates once', () => {
    assert.equal(
      formatPorts([
        { proto: 'tcp', address: '0.0.0.0', port: 80 },
        { proto: 'tcp', address: '::', port: 80 },
        { proto: 'udp', address: '::1', port: 53 },
        { proto: 'tcp', address: '127.0.0.1', port: 9000 },
      ]),
      '80,[::1]:53/udp,127.0.0.1:9000',
    );
    assert.equal(formatPorts(undefined), '');
  });
});
