import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify'
import type { TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors'

// Errors that only say the value has the wrong JSON type; a union member that failed with one
// of these is not what the client meant to send.
const WRONG_TYPE = new Set<ValueErrorType>([
  ValueErrorType.Array, ValueErrorType.Boolean, ValueErrorType.Integer, ValueErrorType.Null,
  ValueErrorType.Number, ValueErrorType.Object, ValueErrorType.String
])

/**
 * A union's own message is "Expected union value". Say instead what the member of the value's
 * JSON type wanted ("Expected string to match '^[0-9]{1,12}$'"), or, when no member has that
 * type, which types would do ("Expected string or integer").
 */
function describe (error: ValueError): string {
  if (error.type !== ValueErrorType.Union) return error.message
  // Each member failed, so each has a first error.
  const firsts = error.errors.map((member) => member.First() as ValueError)
  const meant = firsts.find((member) => !WRONG_TYPE.has(member.type))
  return meant !== undefined ? describe(meant) : `Expected ${firsts.map((member) => member.message.replace(/^Expected /, '')).join(' or ')}`
}

/**
 * TypeBox's checker, as `TypeBoxValidatorCompiler` uses it (bodies are never coerced), reporting
 * one error per field: TypeBox lists a missing union field twice ("Expected required property",
 * then "Expected union value"), and Fastify would join both into the message.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema }) => {
  const check = TypeCompiler.Compile(schema)
  return (value: unknown) => {
    if (check.Check(value)) return { value }
    const fields = new Map<string, FastifySchemaValidationError>()
    for (const error of check.Errors(value)) {
      if (fields.has(error.path)) continue
      fields.set(error.path, { keyword: ValueErrorType[error.type], instancePath: error.path, schemaPath: '', params: {}, message: describe(error) })
    }
    return { error: [...fields.values()] }
  }
}
