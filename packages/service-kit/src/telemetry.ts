import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { ZipkinExporter } from "@opentelemetry/exporter-zipkin";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { env, loadConfig } from "./config.js";

/**
 * Tracing for every Herald process (services and relays), in one place. Off unless an exporter
 * endpoint is configured: then no provider is registered, the OpenTelemetry API stays a no-op and
 * the HTTP hooks are not installed. The outbox's own spans (enqueue, relay publish, consumer
 * process) use the API only, so they record exactly when this registered a provider.
 */
export function telemetryConfigSpec() {
  return {
    OTEL_EXPORTER_ZIPKIN_ENDPOINT: env.url({
      description:
        "where spans are sent, Zipkin's v2 JSON API (e.g. http://127.0.0.1:9411/api/v2/spans); tracing is off when unset",
      protocols: ["http:", "https:"],
      default: "",
    }),
    OTEL_TRACES_SAMPLER_ARG: env.string({
      description:
        "share of new traces recorded, 0 to 1 (a request or message that arrives sampled stays sampled)",
      default: "1",
      pattern: /^(0(\.\d+)?|1(\.0+)?)$/,
    }),
    OTEL_BSP_SCHEDULE_DELAY: env.integer({
      description: "ms between exports of finished spans",
      default: 1_000,
      min: 10,
      max: 60_000,
    }),
    OTEL_SERVICE_NAME: env.string({
      description: "the service name spans carry (default: the process's)",
      default: "",
    }),
  };
}

export interface Telemetry {
  /** Whether spans are recorded and exported. */
  readonly enabled: boolean;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

const OFF: Telemetry = { enabled: false, shutdown: async () => {} };

let installed: { provider: TracerProvider; users: number } | undefined;

/**
 * Registers the tracer provider of this process for `service` from the environment (see
 * {@link telemetryConfigSpec}); a second call in the same process shares the first one's provider.
 */
export function startTelemetry(service: string, source: NodeJS.ProcessEnv = process.env): Telemetry {
  const config = loadConfig(telemetryConfigSpec(), source);
  const endpoint = config.OTEL_EXPORTER_ZIPKIN_ENDPOINT;
  if (!endpoint) return OFF;
  if (!installed) {
    const ratio = Number(config.OTEL_TRACES_SAMPLER_ARG);
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ "service.name": config.OTEL_SERVICE_NAME || service }),
      sampler: new ParentBasedSampler({
        root: ratio > 0 ? new TraceIdRatioBasedSampler(ratio) : new AlwaysOffSampler(),
      }),
      spanProcessors: [
        new BatchSpanProcessor({
          exporter: new ZipkinExporter({ url: endpoint }),
          scheduledDelayMillis: config.OTEL_BSP_SCHEDULE_DELAY,
          maxQueueSize: 8_192,
          maxExportBatchSize: 512,
        }),
      ],
    });
    const contextManager = new AsyncLocalStorageContextManager();
    contextManager.enable();
    context.setGlobalContextManager(contextManager);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    installed = { provider, users: 0 };
  }
  const current = installed;
  current.users++;
  let stopped = false;
  return {
    enabled: true,
    async shutdown() {
      if (stopped) return;
      stopped = true;
      if (--current.users > 0) return current.provider.forceFlush();
      installed = undefined;
      await current.provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

/** `trace_id` and `span_id` of the active span, for every log line written inside one (pino's mixin). */
export function traceLogFields(): Record<string, string> {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

const UNTRACED_ROUTES = /^\/(health\/|metrics$|docs)/;

/**
 * A SERVER span per request while telemetry is on (a caller's `traceparent` is continued), named by
 * method and route; the route handler runs inside it, so what it enqueues and logs carries its trace.
 * Health, metrics and docs requests are not traced. Installs nothing while telemetry is off.
 */
export function traceHttp(app: FastifyInstance): void {
  if (!installed) return;
  const tracer = trace.getTracer("@herald/service-kit");
  const spans = new WeakMap<FastifyRequest, { span: Span; context: Context }>();
  app.addHook("onRequest", (request, _reply, done) => {
    const path = request.url.split("?")[0] ?? "";
    if (UNTRACED_ROUTES.test(path)) return done();
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer.startSpan(
      request.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          "http.request.method": request.method,
          "url.path": path,
          "herald.request_id": String(request.id),
        },
      },
      parent,
    );
    const active = trace.setSpan(parent, span);
    spans.set(request, { span, context: active });
    context.with(active, done);
  });
  // The body is parsed in the socket's callbacks, outside the hook's context: each route's handler
  // enters the request's context itself.
  app.addHook("onRoute", (route) => {
    const handler = route.handler;
    route.handler = function traced(this: unknown, request: FastifyRequest, reply: FastifyReply) {
      const entry = spans.get(request);
      return entry
        ? context.with(entry.context, () => handler.call(this as never, request, reply))
        : handler.call(this as never, request, reply);
    } as typeof handler;
  });
  const end = (request: FastifyRequest, reply: FastifyReply) => {
    const entry = spans.get(request);
    if (!entry) return;
    spans.delete(request);
    const route = request.routeOptions.url;
    if (route) {
      entry.span.updateName(`${request.method} ${route}`);
      entry.span.setAttribute("http.route", route);
    }
    entry.span.setAttribute("http.response.status_code", reply.statusCode);
    if (reply.statusCode >= 500) entry.span.setStatus({ code: SpanStatusCode.ERROR });
    entry.span.end();
  };
  app.addHook("onResponse", (request, reply, done) => {
    end(request, reply);
    done();
  });
  app.addHook("onRequestAbort", (request, done) => {
    const entry = spans.get(request);
    entry?.span.setStatus({ code: SpanStatusCode.ERROR, message: "client aborted" });
    entry?.span.end();
    spans.delete(request);
    done();
  });
}
