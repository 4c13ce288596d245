// The latest fixing served from memory until a fixing event, on both engines.
import { describe, expect, it } from "vitest";
import type { FixingEvents } from "../../src/publish/events.ts";
import { latestCache, type LatestBody } from "../../src/publish/latest-cache.ts";
import { describeEachEngine } from "../support/engines.ts";
import { serveForTest } from "../support/serve.ts";
import { insertFixing } from "./fixtures.ts";
import { get } from "./http.ts";

/** Fixing events driven by the test. */
function handEvents() {
  const listeners = new Set<{ on: (id: string) => void; end?: (() => void) | undefined }>();
  const lost = new Set<() => void>();
  const link = { up: true };
  const events: FixingEvents = {
    connected: () => link.up,
    onLost(l) {
      lost.add(l);
      return () => void lost.delete(l);
    },
    subscribe(on, end) {
      const s = { on, end };
      listeners.add(s);
      return () => void listeners.delete(s);
    },
    close: async () => {
      for (const s of listeners) s.end?.();
      listeners.clear();
    },
  };
  return {
    events,
    fire: (id: string) => listeners.forEach((s) => s.on(id)),
    lose: () => {
      link.up = false;
      lost.forEach((l) => l());
    },
    reconnect: () => void (link.up = true),
  };
}

/** A loader counting its calls, answering `value` as it is when the load ends. */
function counter(initial: string) {
  const state = { value: initial, loads: 0, gate: Promise.resolve() };
  const load = async (): Promise<LatestBody | null> => {
    state.loads++;
    await state.gate;
    return { text: state.value, etag: `"${state.value}"` };
  };
  return { state, load };
}

describe("the latest answer is kept in memory until a fixing event", () => {
  it("serves the kept answer without loading again, until a fixing event empties the cache", async () => {
    const { events, fire } = handEvents();
    const { state, load } = counter("a");
    const cache = latestCache({ events, load, maxAgeMs: 60_000 });
    expect((await cache.get("CTPI", "final"))?.text).toBe("a");
    expect((await cache.get("CTPI", "final"))?.text).toBe("a");
    expect(state.loads).toBe(1);
    state.value = "b";
    fire("7");
    expect((await cache.get("CTPI", "final"))?.text).toBe("b");
    expect(state.loads).toBe(2);
  });

  it("while the listening connection is lost nothing is kept (a commit would go unheard); kept again once it is back", async () => {
    const { events, lose, reconnect } = handEvents();
    const { state, load } = counter("a");
    const cache = latestCache({ events, load, maxAgeMs: 60_000 });
    await cache.get("CTPI", "final");
    lose();
    state.value = "b"; // committed while nothing is heard
    expect((await cache.get("CTPI", "final"))?.text).toBe("b");
    await cache.get("CTPI", "final");
    expect(state.loads).toBe(3);
    reconnect();
    await cache.get("CTPI", "final");
    await cache.get("CTPI", "final");
    expect(state.loads).toBe(4);
  });

  it("keeps each index and kind apart, and concurrent requests share one load", async () => {
    const { events } = handEvents();
    const { state, load } = counter("a");
    const cache = latestCache({ events, load, maxAgeMs: 60_000 });
    await Promise.all([cache.get("CTPI", "final"), cache.get("CTPI", "final"), cache.get("CTPI", "final")]);
    expect(state.loads).toBe(1);
    await cache.get("CTPI", "indicative");
    await cache.get("CTPI-IN", "final");
    expect(state.loads).toBe(3);
  });

  it("a load that began before a fixing event is not kept", async () => {
    const { events, fire } = handEvents();
    const { state, load } = counter("old");
    let open!: () => void;
    state.gate = new Promise<void>((resolve) => (open = resolve));
    const cache = latestCache({ events, load, maxAgeMs: 60_000 });
    const pending = cache.get("CTPI", "final");
    fire("8"); // committed while the load was reading
    open();
    await pending;
    state.value = "new";
    state.gate = Promise.resolve();
    expect((await cache.get("CTPI", "final"))?.text).toBe("new");
    expect(state.loads).toBe(2);
  });

  it("no answer (no such fixing) and a failed load are not kept", async () => {
    const { events } = handEvents();
    let loads = 0;
    const cache = latestCache({
      events,
      load: async (index) => {
        loads++;
        if (index === "BAD") throw new Error("boom");
        return null;
      },
    });
    expect(await cache.get("CTPI-IN", "final")).toBeNull();
    expect(await cache.get("CTPI-IN", "final")).toBeNull();
    await expect(cache.get("BAD", "final")).rejects.toThrow("boom");
    await expect(cache.get("BAD", "final")).rejects.toThrow("boom");
    expect(loads).toBe(4);
  });

  it("an answer lives at most maxAgeMs, in case an event was missed", async () => {
    const { events } = handEvents();
    const { state, load } = counter("a");
    const cache = latestCache({ events, load, maxAgeMs: 20 });
    await cache.get("CTPI", "final");
    await new Promise((resolve) => setTimeout(resolve, 40));
    await cache.get("CTPI", "final");
    expect(state.loads).toBe(2);
  });

  it("once the events are closed, every request loads", async () => {
    const { events } = handEvents();
    const { state, load } = counter("a");
    const cache = latestCache({ events, load, maxAgeMs: 60_000 });
    await cache.get("CTPI", "final");
    await events.close();
    await cache.get("CTPI", "final");
    await cache.get("CTPI", "final");
    expect(state.loads).toBe(3);
  });
});

describeEachEngine("publish: GET /v1/indices/{code}/latest has a fixing once its event reached the service", (ctx) => {
  // PGlite calls its listeners before the commit returns: the very next request has it.
  // Postgres delivers the NOTIFY on the service's listening connection a moment after the
  // commit: the answer has it from then on (well under the 1 s an entry may live).
  it("a fixing or restatement committed before the request is in the answer (at once on PGlite, within moments on Postgres)", async () => {
    const database = await ctx.fresh();
    await insertFixing(database.db, { index: "CTPI", fixingTime: "2026-01-01T08:00:00Z", value: "2.5", level: "1000", computedAt: "2026-01-01T08:00:01Z" });
    const server = await serveForTest(database);
    const latest = () => get(`${server.url}/v1/indices/CTPI/latest`);
    const eventually = async (ok: (r: Awaited<ReturnType<typeof latest>>) => boolean) => {
      const started = Date.now();
      let tries = 0;
      for (;;) {
        const r = await latest();
        tries++;
        if (ok(r)) return { r, tries, ms: Date.now() - started };
        if (Date.now() - started > 1000) throw new Error(`still old after ${Date.now() - started} ms: ${r.text}`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    };
    try {
      for (let day = 2; day <= 21; day++) {
        const at = `2026-01-${String(day).padStart(2, "0")}T08:00:00Z`;
        expect((await latest()).status).toBe(200); // the previous one, now kept
        await insertFixing(database.db, { index: "CTPI", fixingTime: at, value: "2.5", level: "1000", computedAt: at });
        const fresh = await eventually((r) => r.json.fixing_time === at);
        expect(fresh.r.json.revision).toBe(1);
        if (ctx.engine === "pglite") expect(fresh.tries).toBe(1);
        await insertFixing(database.db, { index: "CTPI", fixingTime: at, revision: 2, value: "2.6", level: "1001", computedAt: at.replace("08:00", "09:00"), reason: "restated" });
        const restated = await eventually((r) => r.json.revision === 2);
        if (ctx.engine === "pglite") expect(restated.tries).toBe(1);
        expect(restated.r.headers.get("etag")).not.toBe(fresh.r.headers.get("etag"));
      }
      expect(server.unexpected).toEqual([]);
    } finally {
      await server.close();
    }
  }, 120_000);
});
