import { ResponseTooLargeError, TransientTransportError } from './errors';
import type { Transport, TransportExchange, TransportRequest, TransportResult } from './transport';
import { transportMessage } from './transport-messages';

export interface BatchingOptions {
  /** Most requests merged into one call (integracao.lote_maximo). */
  max: number;
  /** How long the first request of a batch waits for others when no call of its batch key is under way. */
  waitMs?: number;
  /**
   * How long a batch that opened while a call of its key is under way waits for that call to return before it goes
   * anyway (default 20 ms): against a fast ERP the next batch fills while the call is out, against a slow one (a call
   * of hundreds of ms) pushes do not wait a whole call for the one before.
   */
  gatherMs?: number;
  /** The answer's list with one entry per record sent, in order (integracao.indice_array_retorno, e.g. retornosClientes). */
  answerList: string;
}

type Fields = Record<string, unknown>;

interface Waiting {
  item: unknown;
  resolve(result: TransportResult): void;
  reject(err: unknown): void;
}

interface Batch {
  request: TransportRequest;
  listKey: string;
  waiting: Waiting[];
  timer?: NodeJS.Timeout;
}

/** The one key of a body holding one record (an object or a one-element list): what a batch repeats. Else null. */
function recordKey(body: Fields): string | null {
  const keys = Object.keys(body).filter((key) => {
    const value = body[key];
    return (value !== null && typeof value === 'object' && !Array.isArray(value)) || (Array.isArray(value) && value.length === 1);
  });
  return keys.length === 1 ? (keys[0] as string) : null;
}

const asList = (value: unknown): Fields[] => (Array.isArray(value) ? value : value == null ? [] : [value]) as Fields[];
const blank = (value: unknown) => value === undefined || value === null || String(value).trim() === '';

/** Which answer entry is which record's: by ideExt when every record has its own, else by order. */
function correlate(items: unknown[], entries: Fields[]): Fields[] {
  const ids = items.map((item) => (item as Fields | undefined)?.ideExt);
  const distinct = ids.every((id) => !blank(id)) && new Set(ids.map(String)).size === ids.length;
  if (distinct && entries.every((entry) => !blank(entry.ideExt))) {
    const byId = new Map(entries.map((entry) => [String(entry.ideExt), entry]));
    const matched = ids.map((id) => byId.get(String(id)));
    if (matched.every((entry) => entry !== undefined)) return matched as Fields[];
  }
  return entries;
}

/** One record's view of the shared answer: its own entry, and the call's error only when its entry failed. */
function ownAnswer(data: Fields, answerList: string, entry: Fields): Fields {
  const { erroExecucao: _all, mensagemRetorno: _message, tipoRetorno: _kind, ...rest } = data;
  const retorno = entry.retorno;
  const ok = retorno === undefined || String(retorno).trim().toUpperCase() === 'OK';
  return ok
    ? { ...rest, tipoRetorno: 1, mensagemRetorno: 'OK', [answerList]: [entry] }
    : { ...rest, tipoRetorno: 2, mensagemRetorno: String(retorno), erroExecucao: String(retorno), [answerList]: [entry] };
}

/** Where each `tag` element of an XML text starts and ends, in order (a self-closing one is not counted). */
function elementSpans(xml: string, tag: string): { starts: number[]; ends: number[] } {
  const name = tag.replace(/[^\w-]/g, '');
  const starts = [...xml.matchAll(new RegExp(`<(?:[\\w.-]+:)?${name}(?=[\\s>])`, 'g'))].map((m) => m.index);
  const ends = [...xml.matchAll(new RegExp(`</(?:[\\w.-]+:)?${name}\\s*>`, 'g'))].map((m) => m.index + m[0].length);
  return { starts, ends };
}

/**
 * A batched call's XML cut once into what every record's view shares (the text before the first `tag` element and
 * after the last) and each element's own text; null when the elements cannot be told apart (not `count` of them).
 */
function splitElements(xml: string, tag: string, count: number): { head: string; elements: string[]; tail: string } | null {
  const { starts, ends } = elementSpans(xml, tag);
  const first = starts[0];
  const last = ends[count - 1];
  if (starts.length !== count || ends.length !== count || first === undefined || last === undefined) return null;
  return { head: xml.slice(0, first), elements: starts.map((start, i) => xml.slice(start, ends[i])), tail: xml.slice(last) };
}

/**
 * The XML of a batched call with only the `keep`-th of its `count` `tag` elements: what one record's attempt keeps
 * (the envelope and its own customer), instead of every record's attempt holding the whole batch. The text as it
 * was when the elements cannot be told apart.
 */
export function ownElement(xml: string, tag: string, keep: number, count: number): string {
  return ownElements(xml, tag, count)(keep);
}

/** ownElement for every record of one call: the XML is scanned once, not once per record (a batch of n was O(n²)). */
function ownElements(xml: string, tag: string, count: number): (keep: number) => string {
  const split = splitElements(xml, tag, count);
  return (keep) => {
    const element = split?.elements[keep];
    return split && element !== undefined ? split.head + element + split.tail : xml;
  };
}

/** Each record's view of a batched call's exchange: its own element of the request and of the answer's list. */
function ownExchanges(exchange: TransportExchange, listKey: string, answerList: string, records: number) {
  if (records < 2) return () => exchange;
  const request = ownElements(exchange.request, listKey, records);
  const { response } = exchange;
  const answer = response === null ? null : ownElements(response, answerList, records);
  return (sent: number, answered: number): TransportExchange => ({
    ...exchange,
    request: request(sent),
    response: answer === null ? null : answer(answered),
  });
}

/**
 * SET micro-batching (opt-in per integration): requests sent within `waitMs` of each other with the same link,
 * operation and envelope are merged into one call carrying up to `max` records (Senior G5's GravarClientes takes several
 * dadosGeraisCliente and answers one retornosClientes entry per customer, with its ideExt). Each caller gets its own
 * answer — its entry, and an error only if its entry failed (`retorno` other than OK) — so every push keeps its own
 * outcome, write-back, retry and job state. A failed call (fault, timeout, HTTP error) fails every push of the batch,
 * and each retries on its own; an answer whose entries do not match the records fails them as a transient error.
 * Requests that are not one record (no single object/one-element list in the body) go out alone.
 */
export function batchingTransport(inner: Transport, options: BatchingOptions): Transport {
  const waitMs = options.waitMs ?? 5;
  const gatherMs = options.gatherMs ?? 20;
  const open = new Map<string, Batch>();
  // Calls under way per batch key: while one is, new requests gather (sent when it returns, when `max` are waiting or
  // after `gatherMs`), so batches grow with the load and a lone push waits only `waitMs`.
  const inFlight = new Map<string, number>();

  async function fire(key: string, batch: Batch): Promise<void> {
    if (open.get(key) !== batch) return;
    open.delete(key);
    if (batch.timer) clearTimeout(batch.timer);
    inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
    try {
      await sendBatch(batch);
    } finally {
      const left = (inFlight.get(key) ?? 1) - 1;
      if (left > 0) inFlight.set(key, left);
      else inFlight.delete(key);
      const next = open.get(key);
      if (next && left === 0) void fire(key, next);
    }
  }

  async function sendBatch(batch: Batch): Promise<void> {
    const { waiting, listKey } = batch;
    const body = { ...batch.request.body, [listKey]: waiting.map((w) => w.item) };
    let result: TransportResult;
    try {
      // One push's abort signal must not cancel the others' call: the batch keeps only the timeout.
      const { signal: _first, ...request } = batch.request;
      result = await inner.send({ ...request, body });
    } catch (err) {
      // An answer too large for the whole batch's call says nothing of each record's own call (alone, or batched
      // otherwise, it may fit): each push gets a transient failure with the outcome unknown — retried, and reconciled
      // first. A WSDL too large (nothing sent) stays as it is: the same for every push.
      const shared =
        err instanceof ResponseTooLargeError && err.mayHaveBeenProcessed && waiting.length > 1 ? batchTooLarge(err, waiting.length) : err;
      for (const w of waiting) w.reject(shared);
      return;
    }
    const data = (result.data ?? {}) as Fields;
    const entries = asList(data[options.answerList]);
    if (entries.length === 0 && !blank(data.erroExecucao)) {
      // The call was refused as a whole (e.g. credentials): every push gets the refusal, as it would alone.
      for (const w of waiting) w.resolve(result);
      return;
    }
    if (entries.length !== waiting.length) {
      const err = Object.assign(
        new Error(`batched call: expected ${waiting.length} ${options.answerList} entries (one per record), received ${entries.length}`),
        { exchange: result.exchange },
      );
      for (const w of waiting) w.reject(err);
      return;
    }
    const own = correlate(
      waiting.map((w) => w.item),
      entries,
    );
    const exchangeOf = ownExchanges(result.exchange, listKey, options.answerList, waiting.length);
    const positions = new Map(entries.map((entry, index) => [entry, index]));
    waiting.forEach((w, i) => {
      const entry = own[i] as Fields;
      const exchange = exchangeOf(i, positions.get(entry) ?? -1);
      w.resolve({ data: ownAnswer(data, options.answerList, entry), exchange, ...(result.maskText ? { maskText: result.maskText } : {}) });
    });
  }

  return {
    ...inner,
    preview: (request) => inner.preview(request),
    send(request) {
      const listKey = options.max > 1 ? recordKey(request.body) : null;
      if (!listKey) return inner.send(request);
      const value = request.body[listKey];
      const item = Array.isArray(value) ? value[0] : value;
      const { [listKey]: _record, ...envelope } = request.body;
      const key = JSON.stringify([request.link, request.operation, listKey, envelope]);
      return new Promise<TransportResult>((resolve, reject) => {
        let batch = open.get(key);
        if (!batch) {
          const created: Batch = { request, listKey, waiting: [] };
          created.timer = setTimeout(() => void fire(key, created), inFlight.get(key) ? gatherMs : waitMs);
          open.set(key, created);
          batch = created;
        }
        batch.waiting.push({ item, resolve, reject });
        if (batch.waiting.length >= options.max) void fire(key, batch);
      });
    },
  };
}

/** One push's failure when its batch's answer was too large: retried, in English for the log and pt-BR for the user. */
function batchTooLarge(err: ResponseTooLargeError, records: number): TransientTransportError {
  const params = { url: err.exchange?.url ?? '?', records, limit: err.limit };
  return new TransientTransportError(transportMessage('RESPONSE_TOO_LARGE_IN_BATCH', params, 'en'), err.exchange, undefined, {
    cause: err,
    receptorMessage: transportMessage('RESPONSE_TOO_LARGE_IN_BATCH', params),
  });
}
