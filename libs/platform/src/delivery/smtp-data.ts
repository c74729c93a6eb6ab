import type { SMTPServerDataStream } from 'smtp-server';

/**
 * The DATA of one SMTP transaction, collected for an `smtp-server` `onData` handler: `received`
 * gets the whole message once it ended. A stream error goes to `callback`; an oversized message
 * (with `rejectOversized`) is answered 552 by the server itself and never reaches `received`.
 */
export const collectMessageData = (
  stream: SMTPServerDataStream,
  callback: (error?: Error | null) => void,
  received: (raw: Buffer) => void,
): void => {
  const chunks: Buffer[] = [];
  let bytes = 0;
  stream.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (!stream.sizeExceeded) chunks.push(chunk);
  });
  stream.once('error', (error) => callback(error));
  stream.once('end', () => {
    if (stream.sizeExceeded) {
      callback();
      return;
    }
    received(Buffer.concat(chunks, bytes));
  });
};
