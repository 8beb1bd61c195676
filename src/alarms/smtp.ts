/**
 * A small SMTP client (RFC 5321) for alarm e-mail: EHLO, AUTH PLAIN (RFC 4954) when a user is
 * set, MAIL FROM, RCPT TO, DATA with dot-stuffing, QUIT. Over TLS from the first byte (`tls`,
 * port 465, RFC 8314) or plain TCP to a local relay (`plain`). Every reply is awaited with a
 * timeout; the password is sent only inside AUTH and never appears in an error.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ShulianError } from '../codec/index.ts';

export interface SmtpTarget {
  host: string;
  port: number;
  security: 'tls' | 'plain';
  user?: string;
  password?: string;
  /** Tests: trust this CA for `tls`. */
  ca?: string;
}

export interface Mail {
  from: string;
  to: string[];
  subject: string;
  text: string;
}

const ADDR_RE = /^[^\s<>@]+@[^\s<>@]+$/;

/** RFC 2047 encoded-word for a non-ASCII subject. */
function header(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`;
}

/** The message (RFC 5322) with CRLF line ends, dot-stuffed for DATA. */
export function message(m: Mail, date: Date, id: string): string {
  const body = Buffer.from(m.text, 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');
  const lines = [
    `From: ${m.from}`, `To: ${m.to.join(', ')}`, `Subject: ${header(m.subject)}`, `Date: ${date.toUTCString()}`, `Message-ID: <${id}>`,
    'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64', '', body,
  ];
  return lines.join('\r\n').split('\r\n').map((l) => (l.startsWith('.') ? `.${l}` : l)).join('\r\n');
}

class Conversation {
  private buf = '';
  private waiting: ((line: { code: number; text: string } | Error) => void) | undefined;
  private lines: Array<{ code: number; text: string }> = [];
  private failed: Error | undefined;

  constructor(private readonly sock: Socket, private readonly timeoutMs: number) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      if (this.buf.length > 64 * 1024) return this.fail(new Error('the server sent a reply longer than 64 KiB'));
      let i: number;
      let text = '';
      while ((i = this.buf.indexOf('\r\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        text += (text ? '\n' : '') + line.slice(4);
        if (line[3] !== '-') {
          this.lines.push({ code: Number(line.slice(0, 3)), text });
          text = '';
        }
      }
      this.flush();
    });
    sock.on('error', (err) => this.fail(err));
    sock.on('close', () => this.fail(new Error('the server closed the connection')));
  }

  private fail(err: Error): void {
    this.failed ??= err;
    this.flush();
  }

  private flush(): void {
    if (!this.waiting) return;
    const next = this.lines.shift() ?? this.failed;
    if (next) {
      const w = this.waiting;
      this.waiting = undefined;
      w(next);
    }
  }

  reply(what: string, expect: number[]): Promise<{ code: number; text: string }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new ShulianError('ALARM_SMTP_FAILED', `SMTP: no reply to ${what} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiting = (r) => {
        clearTimeout(timer);
        if (r instanceof Error) return reject(new ShulianError('ALARM_SMTP_FAILED', `SMTP: ${what}: ${r.message}`));
        if (!expect.includes(r.code)) return reject(new ShulianError('ALARM_SMTP_FAILED', `SMTP: ${what} answered ${r.code} ${r.text.slice(0, 200)}`));
        resolve(r);
      };
      this.flush();
    });
  }

  async send(line: string, what: string, expect: number[]): Promise<{ code: number; text: string }> {
    this.sock.write(line + '\r\n');
    return this.reply(what, expect);
  }
}

/** Sends one mail; throws ALARM_SMTP_FAILED naming the step that failed. */
export async function sendMail(t: SmtpTarget, m: Mail, opts: { timeoutMs?: number; id: string; date?: Date }): Promise<void> {
  for (const a of [m.from, ...m.to]) if (!ADDR_RE.test(a)) throw new ShulianError('ALARM_SMTP_FAILED', `SMTP: "${a.slice(0, 80)}" is not an e-mail address`);
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const sock: Socket = await new Promise((resolve, reject) => {
    const s = t.security === 'tls'
      ? tlsConnect({ host: t.host, port: t.port, servername: t.host, ...(t.ca ? { ca: t.ca } : {}) }, () => resolve(s))
      : tcpConnect({ host: t.host, port: t.port }, () => resolve(s));
    s.setTimeout(timeoutMs, () => s.destroy(new Error('timed out')));
    s.once('error', (err) => reject(new ShulianError('ALARM_SMTP_FAILED', `SMTP: connecting to ${t.host}:${t.port}: ${err.message}`)));
  });
  const c = new Conversation(sock, timeoutMs);
  try {
    await c.reply('the greeting', [220]);
    await c.send('EHLO shulian', 'EHLO', [250]);
    if (t.user) {
      const token = Buffer.from(`\0${t.user}\0${t.password ?? ''}`, 'utf8').toString('base64');
      await c.send(`AUTH PLAIN ${token}`, 'AUTH PLAIN', [235]);
    }
    await c.send(`MAIL FROM:<${m.from}>`, 'MAIL FROM', [250]);
    for (const to of m.to) await c.send(`RCPT TO:<${to}>`, `RCPT TO ${to}`, [250, 251]);
    await c.send('DATA', 'DATA', [354]);
    await c.send(`${message(m, opts.date ?? new Date(), opts.id)}\r\n.`, 'the message', [250]);
    await c.send('QUIT', 'QUIT', [221]).catch(() => undefined);
  } finally {
    sock.destroy();
  }
}
