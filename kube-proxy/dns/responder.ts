// One query in, one response out, over either transport: the header rules (id, question and
// RD echoed, AA for cluster names, RA when RD, CD copied), EDNS0 (the client's UDP size, its DO
// bit, BADVERS), truncation with TC as miekg/dns's Msg.Truncate, FORMERR / NOTIMP for what is
// not a well-formed query, kubeadm's `loadbalance` shuffle, and the hand-off of names outside
// the cluster to an upstream (or SERVFAIL at once without one, as CoreDNS's forward plugin
// answers when no upstream is reachable). Encoding is dns-packet's.
import dnsPacket, { type Answer, type DecodedPacket, type OptAnswer, type Packet, type Question } from 'dns-packet';
import type { ClusterIndex } from './index.js';
import { lookup, type ZoneConfig } from './records.js';

export interface Forwarder {
  /** The upstream's response to `query` (any id), or undefined when it gave none in time. */
  forward(query: Buffer): Promise<Buffer | undefined>;
}

export interface Reply {
  buf: Buffer;
  qtype: string;
  rcode: string;
  /** Who answered, as CoreDNS's responses_total `plugin` label. */
  plugin: 'kubernetes' | 'forward' | '';
}

export interface ResponderDeps {
  index: ClusterIndex;
  zone: ZoneConfig;
  forwarder?: Forwarder;
  random?: () => number;
}

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const BADVERS = 16;
const QR = 0x80, RD = 0x01, CD = 0x10; // bits of header bytes 2 and 3
const MAX_TCP = 65535;
/** The largest payload one UDP datagram carries over IPv4. */
const MAX_UDP = 65507;
const answerLength = (dnsPacket as unknown as { answer: { encodingLength(a: Answer): number } }).answer.encodingLength;

export class Responder {
  private readonly random: () => number;

  constructor(private readonly deps: ResponderDeps) {
    this.random = deps.random ?? Math.random;
  }

  /** Undefined: drop the packet (too short to answer, or itself a response). */
  async respond(raw: Buffer, proto: 'udp' | 'tcp'): Promise<Reply | undefined> {
    if (raw.length < 12 || (raw[2]! & QR) !== 0) return undefined;
    const id = raw.readUInt16BE(0);
    const opcode = (raw[2]! >> 3) & 0xf;
    const rd = (raw[2]! & RD) !== 0;
    const head = (rcode: number, aa: boolean) =>
      (opcode << 11) | (aa ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | (rd ? dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE : 0) | ((raw[3]! & CD) !== 0 ? dnsPacket.CHECKING_DISABLED : 0) | (rcode & 0xf);
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(raw);
    } catch {
      // Not a DNS message past its header: FORMERR, as miekg/dns's server answers.
      return { buf: dnsPacket.encode({ type: 'response', id, flags: head(RCODE.FORMERR, false) }), qtype: 'other', rcode: 'FORMERR', plugin: '' };
    }
    const question = query.questions?.[0];
    const opts = (query.additionals ?? []).filter((a): a is OptAnswer => a.type === 'OPT');
    const qtype = question?.type ?? 'other';
    const reply = (packet: Packet, rcode: string, plugin: Reply['plugin'], limit = MAX_TCP): Reply => ({ buf: fit(packet, limit), qtype, rcode, plugin });
    const questions: Question[] = question ? [question] : [];
    if (opcode !== 0) return reply({ type: 'response', id, flags: head(RCODE.NOTIMP, false), questions }, 'NOTIMP', '');
    if (query.questions?.length !== 1 || opts.length > 1) return reply({ type: 'response', id, flags: head(RCODE.FORMERR, false), questions }, 'FORMERR', '');
    const opt = opts[0];
    const responseOpt = (extendedRcode = 0): OptAnswer[] =>
      opt ? [{ type: 'OPT', name: '.', udpPayloadSize: Math.max(512, opt.udpPayloadSize), extendedRcode, ednsVersion: 0, flags: opt.flags & dnsPacket.DNSSEC_OK, flag_do: opt.flag_do, options: [] }] : [];
    if (opt && opt.ednsVersion > 0) {
      return reply({ type: 'response', id, flags: head(BADVERS, false), questions, additionals: responseOpt(BADVERS >> 4) }, 'BADVERS', '');
    }
    const limit = proto === 'tcp' ? MAX_TCP : opt ? Math.min(MAX_UDP, Math.max(512, opt.udpPayloadSize)) : 512;
    if (qtype === 'AXFR' || qtype === 'IXFR') {
      return reply({ type: 'response', id, flags: head(RCODE.REFUSED, false), questions, additionals: responseOpt() }, 'REFUSED', '', limit);
    }

    const found = lookup(this.deps.index, this.deps.zone, question!.name, qtype);
    if (found.kind === 'outside') return this.forward(raw, id, head, questions, responseOpt(), qtype, limit);
    const answers = [...found.answers];
    if (found.chase && this.deps.forwarder) answers.push(...(await this.chase(found.chase, qtype)));
    this.shuffleAddresses(answers);
    const packet: Packet = {
      type: 'response',
      id,
      flags: head(RCODE[found.rcode], true),
      questions,
      answers,
      authorities: found.authorities,
      additionals: [...found.additionals, ...responseOpt()],
    };
    return reply(packet, found.rcode, 'kubernetes', limit);
  }

  private async forward(raw: Buffer, id: number, head: (rcode: number, aa: boolean) => number, questions: Question[], opt: OptAnswer[], qtype: string, limit: number): Promise<Reply> {
    const servfail = (): Reply => ({ buf: fit({ type: 'response', id, flags: head(RCODE.SERVFAIL, false), questions, additionals: opt }, limit), qtype, rcode: 'SERVFAIL', plugin: this.deps.forwarder ? 'forward' : '' });
    if (!this.deps.forwarder) return servfail();
    const upstream = await this.deps.forwarder.forward(raw);
    if (!upstream || upstream.length < 12) return servfail();
    const buf = Buffer.from(upstream);
    buf.writeUInt16BE(id, 0);
    const rcode = rcodeName(buf[3]! & 0xf);
    if (buf.length <= limit) return { buf, qtype, rcode, plugin: 'forward' };
    try {
      return { buf: fit(dnsPacket.decode(buf), limit), qtype, rcode, plugin: 'forward' };
    } catch {
      return servfail(); // an upstream answer we cannot re-encode smaller
    }
  }

  /** The upstream's records for an ExternalName's target, appended after the CNAME (best effort). */
  private async chase(target: string, qtype: string): Promise<Answer[]> {
    const q = dnsPacket.encode({ type: 'query', id: Math.floor(this.random() * 65536), flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: qtype as Question['type'], name: target }] });
    const res = await this.deps.forwarder!.forward(q);
    if (!res) return [];
    try {
      return (dnsPacket.decode(res).answers ?? []).filter((a) => a.type !== 'OPT');
    } catch {
      return []; // an unreadable upstream answer leaves the CNAME alone, as a failed lookup does
    }
  }

  /** kubeadm's Corefile `loadbalance`: address records in random order, CNAMEs where they are. */
  private shuffleAddresses(answers: Answer[]): void {
    if (answers.length < 2) return;
    const at: number[] = [];
    answers.forEach((a, i) => (a.type === 'A' || a.type === 'AAAA') && at.push(i));
    for (let i = at.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [answers[at[i]!], answers[at[j]!]] = [answers[at[j]!]!, answers[at[i]!]!];
    }
  }
}

function rcodeName(n: number): string {
  return (Object.entries(RCODE).find(([, v]) => v === n)?.[0] as string | undefined) ?? `RCODE_${n}`;
}

/**
 * Encodes `p` within `limit` bytes as miekg/dns's Msg.Truncate: as many answers, then
 * authorities, then additionals as fit (the OPT record always stays), stopping at the first
 * record that does not; TC when anything was left out, so the client retries over TCP.
 */
export function fit(p: Packet, limit: number): Buffer {
  if (dnsPacket.encodingLength(p) <= limit) return dnsPacket.encode(p);
  const extra = p.additionals ?? [];
  const opt = extra.filter((a) => a.type === 'OPT');
  const out: Packet = { ...p, answers: [], authorities: [], additionals: [...opt] };
  let size = dnsPacket.encodingLength(out);
  let dropped = false;
  let full = false;
  for (const [from, to] of [[p.answers ?? [], out.answers!], [p.authorities ?? [], out.authorities!], [extra.filter((a) => a.type !== 'OPT'), out.additionals!]] as const) {
    for (const rr of from) {
      const len = answerLength(rr);
      if (full || size + len > limit) {
        full = true;
        dropped = true;
        continue;
      }
      size += len;
      to.push(rr);
    }
  }
  // The OPT record goes last in the additional section.
  if (opt.length > 0) out.additionals = [...out.additionals!.filter((a) => a.type !== 'OPT'), ...opt];
  if (dropped) out.flags = (out.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE;
  return dnsPacket.encode(out);
}
