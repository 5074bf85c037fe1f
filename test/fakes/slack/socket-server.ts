import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { sharedPath } from '../../helpers/shared.js';
import { Waiters } from '../waiters.js';

// A local stand-in for Slack's Socket Mode endpoint (the URL apps.connections.open hands out). Frames
// mirror ../shared/slack/socket-mode: `hello` on connect, envelopes in, acks `{envelope_id, payload?}` out.

type Json = Record<string, unknown>;

export interface Envelope {
  envelope_id: string;
  type: string;
  payload: Json;
  accepts_response_payload?: boolean;
}

/** A frame the client sent, parsed (acks carry envelope_id and, for slash commands, the answer). */
export interface ClientMessage {
  envelope_id?: string;
  payload?: Json;
  [key: string]: unknown;
}

export interface Closed {
  code: number;
  reason: string;
}

const fixture = (name: string) =>
  JSON.parse(readFileSync(sharedPath('slack/socket-mode', name), 'utf8')) as Envelope;
const HELLO = readFileSync(sharedPath('slack/socket-mode/hello.json'), 'utf8');
const SLASH_COMMAND = fixture('slash_commands.json');
const INTERACTIVE = fixture('interactive_block_actions_message.json');

/** A slash_commands envelope as Slack sends it, with our fields laid over the real payload. */
export function slashCommandEnvelope(fields: Json): Envelope {
  return { ...SLASH_COMMAND, envelope_id: randomUUID(), payload: { ...SLASH_COMMAND.payload, ...fields } };
}

/** An interactive envelope (block_actions on a message), with our fields laid over the real payload. */
export function interactiveEnvelope(fields: Json): Envelope {
  return { ...INTERACTIVE, envelope_id: randomUUID(), payload: { ...INTERACTIVE.payload, ...fields } };
}

export class FakeSocketServer {
  readonly url: string;
  /** Every frame the clients sent, in order. */
  readonly received: ClientMessage[] = [];
  /** How many clients have connected so far. */
  connections = 0;

  /** How the current client closed its socket; undefined while it is open. */
  closedWith: Closed | undefined;

  private client: WebSocket | undefined;
  private readonly waiters = new Waiters();

  private constructor(private readonly server: WebSocketServer) {
    this.url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/link`;
    server.on('connection', (socket) => this.accept(socket));
  }

  static async start(): Promise<FakeSocketServer> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/link' });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.once('listening', () => resolve());
    });
    return new FakeSocketServer(server);
  }

  /** Sends an envelope to the connected client; returns its envelope_id. */
  send(envelope: Envelope): string {
    if (!this.client) throw new Error('FakeSocketServer.send: no client connected');
    this.client.send(JSON.stringify(envelope));
    return envelope.envelope_id;
  }

  /** The client's ack for this envelope, once it arrives. */
  async ackFor(envelopeId: string, timeoutMs = 5000): Promise<ClientMessage> {
    const find = () => this.received.find((m) => m.envelope_id === envelopeId);
    await this.waitUntil(`ack for ${envelopeId}`, () => find() !== undefined, timeoutMs);
    return find() as ClientMessage;
  }

  /** How the connected client closed its socket, once it has. */
  async clientClosed(timeoutMs = 5000): Promise<Closed> {
    await this.waitUntil('the client to close', () => this.closedWith !== undefined, timeoutMs);
    return this.closedWith as Closed;
  }

  async close(): Promise<void> {
    this.waiters.failAll('FakeSocketServer closed while waiting');
    for (const socket of this.server.clients) socket.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: WebSocket): void {
    this.connections += 1;
    this.client = socket;
    this.closedWith = undefined;
    socket.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString();
      this.received.push(parse(text));
      this.notify();
    });
    socket.on('close', (code, reason) => {
      if (this.client === socket) this.closedWith = { code, reason: reason.toString() };
      this.notify();
    });
    socket.send(HELLO);
  }

  private notify(): void {
    this.waiters.notify();
  }

  private waitUntil(label: string, done: () => boolean, timeoutMs: number): Promise<true> {
    return this.waiters.until(
      () => (done() ? true : undefined),
      timeoutMs,
      () => {
        const seen = this.received.map((m) => JSON.stringify(m).slice(0, 200)).join('\n  ');
        return `FakeSocketServer: no ${label} after ${timeoutMs}ms; received:\n  ${seen || '(none)'}`;
      },
    );
  }
}

function parse(text: string): ClientMessage {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as ClientMessage)
      : { unparsed: text };
  } catch {
    return { unparsed: text };
  }
}
