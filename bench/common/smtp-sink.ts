import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { SmtpCaptureServer } from '#platform';

/** The benchmarks' SMTP sink: the embedded capture server, in a child process. */
type SinkReply =
  | { port: number }
  | { count: number; distinct: number; bytes: number; total: number }
  | { marked: number };

/**
 * The sink process (`smtp-sink.process.js <dir> store|discard`): runs the capture server, says its
 * port; `mark` starts a new phase, `count` answers how many messages arrived since the mark, how
 * many distinct Message-IDs they carry and their average size; `close` stops it.
 */
export const serveSink = async (dir: string, mode: string): Promise<void> => {
  const server = await SmtpCaptureServer.start({
    dir,
    store: mode !== 'discard',
    closeTimeoutMs: 1000,
  });
  let mark = 0;
  process.send!({ port: server.port } satisfies SinkReply);
  process.on('message', (message) => {
    if (message === 'mark') {
      mark = server.messages.length;
      process.send!({ marked: mark } satisfies SinkReply);
    } else if (message === 'count') {
      const all = server.messages;
      const ids = new Set<string | null>();
      let bytes = 0;
      for (let i = mark; i < all.length; i++) {
        ids.add(all[i]!.messageId);
        bytes += all[i]!.bytes;
      }
      const count = all.length - mark;
      process.send!({
        count,
        distinct: ids.size,
        bytes: count ? Math.round(bytes / count) : 0,
        total: all.length,
      } satisfies SinkReply);
    } else if (message === 'close') {
      void server.close().then(() => process.exit(0));
    }
  });
};

/**
 * Starts the capture server in a process of its own (as it would run beside a worker), so its
 * CPU is not the benchmark's; resolves with its URL, its pid and ways to mark, count and close.
 */
export const startSink = async (dir: string, discard: boolean) => {
  const child: ChildProcess = fork(
    fileURLToPath(new URL('./smtp-sink.process.js', import.meta.url)),
    [dir, discard ? 'discard' : 'store'],
    // No --cpu-prof or inspector flags for the child even when this process has them.
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] },
  );
  const next = () =>
    new Promise<SinkReply>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`sink process exited (${code})`));
      child.once('exit', onExit);
      child.once('message', (message) => {
        child.off('exit', onExit);
        resolve(message as SinkReply);
      });
    });
  const hello = await next();
  if (!('port' in hello)) throw new Error('sink process did not say its port');
  const ask = async (what: 'mark' | 'count') => {
    const reply = next();
    child.send(what);
    return reply;
  };
  return {
    url: `smtp://127.0.0.1:${hello.port}`,
    pid: child.pid!,
    mark: async () => void (await ask('mark')),
    count: async () => {
      const answer = await ask('count');
      if (!('count' in answer)) throw new Error('unexpected reply from the sink process');
      return answer;
    },
    close: async (): Promise<void> => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send('close');
      await exited;
    },
  };
};
