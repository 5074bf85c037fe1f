/** A throwaway redis-server on loopback: nothing kept on disk, writes refused rather than keys evicted. */
export function throwawayRedisArgs(port: number): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--maxmemory-policy',
    'noeviction',
  ];
}
