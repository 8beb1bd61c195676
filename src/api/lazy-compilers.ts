/**
 * Fastify compiles every route's request validators (ajv) and response serialisers
 * (fast-json-stringify) while the server starts, and most routes are never called in a node's
 * life: in a profile of a node start, ajv and fast-json-stringify took about an eighth of its CPU
 * (issue #20, docs/benchmarks.md#profiling-a-bench). These compiler factories wrap Fastify's own
 * (the same packages, options and shared schemas) so that a route's schema is compiled on the
 * route's first request instead. What a request is checked against and how an answer is
 * serialised do not change; only when the work is done.
 *
 * One difference: a schema that does not compile fails that route's first request (a 500)
 * instead of the server's start. Every route's schemas are exercised by test/openapi.test.ts and
 * the route fuzz, which would show it.
 */
import AjvCompiler from '@fastify/ajv-compiler';
import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type Validate = ((data: unknown) => unknown) & { errors?: unknown };
type Serialize = (data: unknown) => string;
type Factories = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

/**
 * A validator that compiles on its first call. Fastify reads `errors` from the function it
 * called after a `false` (or after the promise of an async schema settles), so they are copied
 * from the compiled validator each time.
 */
function lazyValidator(build: () => Validate): Validate {
  let compiled: Validate | undefined;
  const validate: Validate = (data) => {
    compiled ??= build();
    const fn = compiled;
    const result = fn(data);
    validate.errors = fn.errors;
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      return (result as Promise<unknown>).then((r) => {
        validate.errors = fn.errors;
        return r;
      });
    }
    return result;
  };
  return validate;
}

/** Fastify's validator and serializer factories, compiling each route's schema on first use. */
export function lazyCompilers(): Factories {
  const ajvFactory = AjvCompiler();
  const serializerFactory = SerializerSelector();
  return {
    buildValidator: ((externalSchemas: unknown, options: unknown) => {
      let compiler: ((def: unknown) => Validate) | undefined;
      return (def: unknown) => lazyValidator(() => (compiler ??= (ajvFactory as unknown as (e: unknown, o: unknown) => (d: unknown) => Validate)(externalSchemas, options))(def));
    }) as unknown as Factories['buildValidator'],
    buildSerializer: ((externalSchemas: unknown, options: unknown) => {
      let compiler: ((def: unknown) => Serialize) | undefined;
      return (def: unknown) => {
        let serialize: Serialize | undefined;
        return (data: unknown) => (serialize ??= (compiler ??= (serializerFactory as unknown as (e: unknown, o: unknown) => (d: unknown) => Serialize)(externalSchemas, options))(def))(data);
      };
    }) as unknown as Factories['buildSerializer'],
  };
}
