/**
 * A local SMTP sink for tests (RFC 5321 server side, plain TCP on a real socket): answers EHLO,
 * AUTH PLAIN (checking the credentials it was given), MAIL, RCPT, DATA, RSET, NOOP, QUIT, and
 * keeps each message received with its envelope and decoded text.
 */
import { createServer, type Server, type Socket } from 'node:net';

export interface SunkMail {
  from: string;
  to: string[];
  /** The message as received (dot-stuffing removed). */
  raw: string;
  subject: string;
  /** The body, decoded from base64 when the message says so. */
  text: string;
  /** The user that authenticated, if any. */
  user?: string;
}

export interface SmtpSink {
  port: number;
  mails: SunkMail[];
  /** AUTH attempts refused. */
  refused: number;
  close(): Promise<void>;
}

function decode(raw: string): { subject: string; text: string } {
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const body = rest.join('\r\n\r\n');
  let subject = /^Subject: (.*)$/m.exec(head)?.[1] ?? '';
  const enc = /^=\?UTF-8\?B\?([^?]*)\?=$/.exec(subject);
  if (enc) subject = Buffer.from(enc[1]!, 'base64').toString('utf8');
  const text = /^Content-Transfer-Encoding: base64$/im.test(head) ? Buffer.from(body.replace(/\r\n/g, ''), 'base64').toString('utf8') : body;
  return { subject, text };
}

export async function startSmtpSink(creds?: { user: string; password: string }): Promise<SmtpSink> {
  const mails: SunkMail[] = [];
  const sink = { refused: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.setEncoding('utf8');
    let buf = '';
    let data: string[] | undefined;
    let from = '';
    let to: string[] = [];
    let user: string | undefined;
    const say = (line: string) => sock.write(line + '\r\n');
    say('220 sink.test ESMTP');
    sock.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (data) {
          if (line === '.') {
            const raw = data.join('\r\n');
            mails.push({ from, to, raw, ...decode(raw), ...(user ? { user } : {}) });
            data = undefined;
            from = '';
            to = [];
            say('250 2.0.0 queued');
          } else data.push(line.startsWith('..') ? line.slice(1) : line);
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') { sock.write('250-sink.test\r\n250 AUTH PLAIN\r\n'); continue; }
        if (line.toUpperCase().startsWith('AUTH PLAIN ')) {
          const [, u = '', p = ''] = Buffer.from(line.slice(11), 'base64').toString('utf8').split('\0');
          if (!creds || (u === creds.user && p === creds.password)) { user = u; say('235 2.7.0 accepted'); } else { sink.refused++; say('535 5.7.8 bad credentials'); }
          continue;
        }
        if (creds && !user && (verb === 'MAIL' || verb === 'RCPT' || verb === 'DATA')) { say('530 5.7.0 authentication required'); continue; }
        if (verb === 'MAIL') { from = /<([^>]*)>/.exec(line)?.[1] ?? ''; say('250 ok'); continue; }
        if (verb === 'RCPT') { to.push(/<([^>]*)>/.exec(line)?.[1] ?? ''); say('250 ok'); continue; }
        if (verb === 'DATA') { data = []; say('354 go ahead'); continue; }
        if (verb === 'QUIT') { say('221 bye'); sock.end(); continue; }
        if (verb === 'RSET' || verb === 'NOOP') { say('250 ok'); continue; }
        say('502 5.5.1 not implemented');
      }
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    mails,
    get refused() { return sink.refused; },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
