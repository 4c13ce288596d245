// GET /v1/stream: Server-Sent Events, one `fixing` event per new fixing revision, resumable
// with Last-Event-ID (the fixing id), a comment heartbeat while idle; and `price_change`
// events (operations-and-users.md section 7) as each accepted price sheet arrives.
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps } from "../../deps.ts";
import type { Db } from "../../../db/index.ts";
import { CiyuanError } from "../../../errors.ts";
import type { Signer } from "../../../signing/index.ts";
import type { FixingEvents } from "../../events.ts";
import { fixingJson, toJson } from "../../json.ts";
import { IndexCode, Kind } from "../../params.ts";
import { priceChangeJson } from "../../changes-format.ts";
import { changesOfSheet } from "../../read/changes.ts";
import { untyped } from "../../respond.ts";
import { ERROR_RESPONSES } from "../../schemas.ts";
import { fixingById, fixingsAfter, requireIndex, type FixingKind, type FixingView } from "../../read/index.ts";

/**
 * Timing of every stream this process serves. The heartbeat keeps proxies and clients from
 * taking a quiet stream for a dead one (at least every 20 s); `retryMs` is the reconnection
 * delay suggested to EventSource clients. Tests shorten the heartbeat.
 */
export const streamTiming = { heartbeatMs: 15_000, retryMs: 3_000 };

const BIGINT_MAX = 9223372036854775807n;
const REPLAY_PAGE = 500;
// A client that reads slower than fixings arrive is cut off; it resumes with Last-Event-ID.
const MAX_PENDING = 10_000;
// Ids sent lately on one stream: a revision both replayed and announced is sent once.
const REMEMBERED = 4096;

// Empty is no id at all (EventSource sends none before its first event, some proxies send "").
const EventId = z
  .string()
  .regex(/^\d{0,19}$/, "not an event id (the id of a fixing event: digits)")
  .refine((s) => !/^\d{1,19}$/.test(s) || BigInt(s) <= BIGINT_MAX, "not an event id (too large)");

export const route = createRoute({
  method: "get",
  path: "/v1/stream",
  summary: "Server-Sent Events: each new fixing or revision as it is committed",
  description:
    "Event `fixing` per new fixing revision (any index and kind unless filtered); its `data` is the fixing object " +
    "(schema `Fixing`, without constituents, with its signature), its `id` the revision's id. " +
    "Reconnecting with `Last-Event-ID` (or `?last_event_id=` for clients that cannot set headers; the header wins) " +
    "first replays every revision after that id, oldest first, then continues live, with nothing missed or repeated. " +
    "A comment `: heartbeat` is sent at least every 20 s. " +
    "Event `price_change` per event of each newly accepted price sheet; its `data` is the object of `GET /v1/changes` " +
    "(schema `PriceChange`). It has no `id` (so Last-Event-ID keeps naming the last fixing), is live only (not " +
    "replayed on resume: read `/v1/changes?from=` for what was missed), and is sent whatever `index` and `kind` select.",
  request: {
    query: z.object({
      index: IndexCode.optional().openapi({ param: { name: "index", in: "query" }, description: "only this index" }),
      kind: Kind.optional().openapi({ description: "only final or only indicative fixings" }),
      last_event_id: EventId.optional().openapi({ description: "resume after this event id (when no Last-Event-ID header)" }),
    }),
    headers: z.object({
      "last-event-id": EventId.optional().openapi({ description: "resume after this event id (sent by EventSource on reconnection)" }),
    }),
  },
  responses: {
    200: {
      content: {
        "text/event-stream": {
          schema: z.string().openapi({
            example:
              "retry: 3000\n\nid: 42\nevent: fixing\ndata: {\"index\":\"CTPI\",\"fixing_time\":\"2026-10-01T08:00:00Z\",\"kind\":\"final\",...}\n\n: heartbeat\n\n",
          }),
        },
      },
      description: "an endless event stream",
    },
    ...ERROR_RESPONSES,
  },
});

type Filter = { index: string | undefined; kind: FixingKind | undefined };

export function register(app: OpenAPIHono, { db, signer, events, log }: AppDeps): void {
  const render = sharedRenderer(db, signer);
  const renderSheet = sheetRenderer(db);
  app.openapi(route, async (c) => {
    const { index, kind, last_event_id: queryId } = c.req.valid("query");
    const headerId = c.req.valid("header")["last-event-id"];
    if (index !== undefined) await knownIndex(db, index);
    const since = headerId || queryId || undefined;
    const inbox = new Inbox();
    const chunks = fixingStream({ db, signer, events, render, renderSheet, filter: { index, kind }, since }, inbox);
    return untyped(
      c.body(eventStreamBody(chunks, inbox, c.req.raw.signal, log), 200, {
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache, no-transform",
        "X-Accel-Buffering": "no",
      }),
    );
  });
}

// A filter naming an index that does not exist is a bad parameter, not a missing resource.
async function knownIndex(db: Db, code: string): Promise<void> {
  try {
    await requireIndex(db, code);
  } catch (err) {
    if (err instanceof CiyuanError && err.code === "unknown_index") throw new CiyuanError("bad_request", `index: ${err.message}`);
    throw err;
  }
}

type Rendered = { index: string; kind: FixingKind; text: string };

function eventText(view: FixingView, signer: Signer): Rendered {
  const data = toJson(fixingJson(view, signer));
  return { index: view.index, kind: view.kind, text: `id: ${view.id}\nevent: fixing\ndata: ${data}\n\n` };
}

/** A new revision is read and rendered once per process, however many streams are open. */
function sharedRenderer(db: Db, signer: Signer): (id: string) => Promise<Rendered | null> {
  const cache = new Map<string, Promise<Rendered | null>>();
  return (id) => {
    let found = cache.get(id);
    if (!found) {
      found = fixingById(db, id).then((view) => (view ? eventText(view, signer) : null));
      cache.set(id, found);
      found.catch(() => cache.delete(id));
      if (cache.size > 256) cache.delete(cache.keys().next().value!);
    }
    return found;
  };
}

/**
 * A new sheet's price_change events, read and rendered once per process however many
 * streams are open ("" when the sheet changed nothing, e.g. a provider's first sheet).
 * They carry no `id:` line: an event without one leaves the client's last event id as it
 * was, so a reconnection still resumes after the last fixing.
 */
function sheetRenderer(db: Db): (sheetId: string) => Promise<string> {
  const cache = new Map<string, Promise<string>>();
  return (sheetId) => {
    let found = cache.get(sheetId);
    if (!found) {
      found = changesOfSheet(db, sheetId).then((changes) =>
        changes.map((c) => `event: price_change\ndata: ${toJson(priceChangeJson(c))}\n\n`).join(""),
      );
      cache.set(sheetId, found);
      found.catch(() => cache.delete(sheetId));
      if (cache.size > 256) cache.delete(cache.keys().next().value!);
    }
    return found;
  };
}

type Announced = { kind: "id" | "sheet"; id: string };
type Wake = Announced | { kind: "heartbeat" } | { kind: "end" };

/** What reaches one stream while it is busy: announced fixing and sheet ids, heartbeat ticks, the end. */
class Inbox {
  private ids: Announced[] = [];
  private heartbeatDue = false;
  ended = false;
  private waiter: (() => void) | null = null;

  push(id: string, kind: Announced["kind"] = "id"): void {
    if (this.ids.length >= MAX_PENDING) this.end();
    else this.ids.push({ kind, id });
    this.wake();
  }
  heartbeat(): void {
    this.heartbeatDue = true;
    this.wake();
  }
  end(): void {
    this.ended = true;
    this.wake();
  }
  takeHeartbeat(): boolean {
    const due = this.heartbeatDue;
    this.heartbeatDue = false;
    return due;
  }
  async next(): Promise<Wake> {
    for (;;) {
      if (this.ended) return { kind: "end" };
      if (this.takeHeartbeat()) return { kind: "heartbeat" };
      const next = this.ids.shift();
      if (next !== undefined) return next;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }
  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }
}

class RecentIds {
  private ids = new Set<string>();
  /** False when the id was seen lately. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > REMEMBERED) this.ids.delete(this.ids.values().next().value!);
    return true;
  }
}

type StreamSource = {
  db: Db;
  signer: Signer;
  events: FixingEvents;
  render: (id: string) => Promise<Rendered | null>;
  renderSheet: (sheetId: string) => Promise<string>;
  filter: Filter;
  since: string | undefined;
};

const HEARTBEAT = ": heartbeat\n\n";

/**
 * The text of one stream. Subscribes before replaying, so a revision committed during the
 * replay is either in a replayed page or waiting in the inbox (or both: sent once).
 */
async function* fixingStream(src: StreamSource, inbox: Inbox): AsyncGenerator<string, void, undefined> {
  const unsubscribe = src.events.subscribe(
    (id) => inbox.push(id),
    () => inbox.end(),
  );
  const unsubscribeSheets = src.events.subscribeSheets?.((sheetId) => inbox.push(sheetId, "sheet"));
  const heartbeat = setInterval(() => inbox.heartbeat(), streamTiming.heartbeatMs);
  const sent = new RecentIds();
  const wanted = (r: { index: string; kind: FixingKind }) =>
    (src.filter.index === undefined || r.index === src.filter.index) && (src.filter.kind === undefined || r.kind === src.filter.kind);
  try {
    yield `retry: ${streamTiming.retryMs}\n\n`;
    let after = src.since;
    while (after !== undefined && !inbox.ended) {
      const page = await fixingsAfter(src.db, { afterId: after, ...src.filter, limit: REPLAY_PAGE });
      for (const view of page) {
        if (sent.add(view.id)) yield eventText(view, src.signer).text;
      }
      if (inbox.takeHeartbeat()) yield HEARTBEAT;
      after = page.length < REPLAY_PAGE ? undefined : page[page.length - 1]!.id;
    }
    for (;;) {
      const next = await inbox.next();
      if (next.kind === "end") return;
      if (next.kind === "heartbeat") {
        yield HEARTBEAT;
        continue;
      }
      if (next.kind === "sheet") {
        const changes = await src.renderSheet(next.id);
        if (changes !== "") yield changes;
        continue;
      }
      const rendered = await src.render(next.id);
      if (rendered && wanted(rendered) && sent.add(next.id)) yield rendered.text;
    }
  } finally {
    clearInterval(heartbeat);
    unsubscribe();
    unsubscribeSheets?.();
  }
}

/**
 * The stream as a response body. Nothing is read before the client reads (so a HEAD or
 * an unread body subscribes to nothing); a client that goes away ends the generator, and
 * with it its subscription. A failure mid-stream ends the stream, logged: the client
 * reconnects with its Last-Event-ID.
 */
function eventStreamBody(
  chunks: AsyncGenerator<string, void, undefined>,
  inbox: Inbox,
  clientGone: AbortSignal,
  log: (line: string) => void,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let stopped = false;
  // Ending the inbox wakes a generator waiting for the next event, so return() runs its
  // cleanup now rather than at the next fixing.
  const stop = () => {
    if (stopped) return;
    stopped = true;
    inbox.end();
    void chunks.return(undefined).catch(() => {});
  };
  clientGone.addEventListener("abort", stop, { once: true });
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await chunks.next();
          // A client gone while this chunk was made: the stream is cancelled already.
          if (stopped) return;
          if (next.done) {
            clientGone.removeEventListener("abort", stop);
            controller.close();
          } else controller.enqueue(encoder.encode(next.value));
        } catch (err) {
          if (stopped) return;
          log(`GET /v1/stream: ${err instanceof Error ? err.message : String(err)}`);
          stopped = true;
          clientGone.removeEventListener("abort", stop);
          controller.close();
        }
      },
      cancel: stop,
    },
    { highWaterMark: 0 },
  );
}
