import { Type, type TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { errorCodes, type FastifyError } from 'fastify'
import { resetPasswordBody, SendLinkBody } from '../schemas.js'

// The bodies of django-rest-registration 0.9's two views, checked the way a Django REST framework
// serializer checks them: every field required, in declaration order, every failing field listed with
// DRF's own message, unknown fields ignored. Types stay as strict as in the plugin's own mode.

/** DRF's field class of a field: it picks the message a wrong value gets. */
type DrfField = 'char' | 'integer'

interface FieldSpec {
  readonly schema: TSchema
  readonly drf: DrfField
  /** The name the handler reads it under, when it differs from the wire name. */
  readonly as?: string
}

export type DrrFields = Readonly<Record<string, FieldSpec>>

/** `{ field: [messages] }`, or `{ non_field_errors: [message] }`: a DRF ValidationError's body. */
export type FieldErrors = Record<string, string[]>

/** The body the send-link handler reads, whichever field name the wire uses. */
export interface DrrSendLinkBody { readonly login: string }

export interface DrrResetPasswordBody {
  readonly user_id: string | number
  readonly timestamp: string | number
  readonly signature: string
  readonly password: string
  readonly password_confirm?: string
}

// rest_framework/fields.py (Field, CharField, IntegerField) and serializers.py, word for word.
const MESSAGES = {
  required: 'This field is required.',
  null: 'This field may not be null.',
  blank: 'This field may not be blank.',
  char: 'Not a valid string.',
  integer: 'A valid integer is required.'
} as const

const maxLength = (max: number): string => `Ensure this field has no more than ${max} characters.`

/** DefaultSendResetPasswordLinkSerializer: `login`, or `email` with SEND_RESET_PASSWORD_LINK_SERIALIZER_USE_EMAIL. */
export function sendLinkFields (useEmail: boolean): DrrFields {
  const login = { schema: SendLinkBody.properties.login, drf: 'char' } as const
  return useEmail ? { email: { ...login, as: 'login' } } : { login }
}

/** ResetPasswordSerializer; `password_confirm` only with RESET_PASSWORD_SERIALIZER_PASSWORD_CONFIRM, else ignored like any unknown field. */
export function resetPasswordFields (passwordConfirm: boolean): DrrFields {
  const { user_id: userId, timestamp, signature, password } = resetPasswordBody(false).properties
  return {
    user_id: { schema: userId, drf: 'char' },
    timestamp: { schema: timestamp, drf: 'integer' },
    signature: { schema: signature, drf: 'char' },
    password: { schema: password, drf: 'char' },
    ...(passwordConfirm ? { password_confirm: { schema: password, drf: 'char' } } : {})
  }
}

/** The route's body schema, for documentation (e.g. @fastify/swagger); `drrValidator` does the checking. */
export function drrBodySchema (fields: DrrFields) {
  const properties = Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, field.schema]))
  return Type.Unsafe({ ...Type.Object(properties), additionalProperties: true })
}

// Python's name for the type of a JSON value that is not an object, for DRF's "Expected a dictionary" message.
function pythonType (value: unknown): string {
  if (Array.isArray(value)) return 'list'
  if (typeof value === 'string') return 'str'
  if (typeof value === 'boolean') return 'bool'
  return Number.isInteger(value) ? 'int' : 'float'
}

function fieldError (field: FieldSpec, value: unknown): string {
  if (value === null) return MESSAGES.null
  if (field.drf === 'char' && value === '') return MESSAGES.blank
  const max = (field.schema as { maxLength?: number }).maxLength
  if (typeof value === 'string' && max !== undefined && value.length > max) return maxLength(max)
  return MESSAGES[field.drf]
}

/** The validation error of a DRF-style check, carrying the body DRF would answer with. */
export type DrrValidationError = FastifyError & { readonly fields: FieldErrors }

function invalid (fields: FieldErrors): { error: DrrValidationError } {
  return { error: Object.assign(new errorCodes.FST_ERR_VALIDATION(JSON.stringify(fields)), { fields }) }
}

/**
 * A Fastify validator for `fields`: answers `{ value }` with the known fields only (renamed where a field
 * says so), or `{ error }` whose `fields` is DRF's error body. No body at all reads as `{}`, as in DRF.
 */
export function drrValidator (fields: DrrFields): (body: unknown) => { value: Record<string, unknown> } | { error: DrrValidationError } {
  const checks = Object.entries(fields).map(([name, field]) => ({ name, field, check: TypeCompiler.Compile(field.schema) }))
  return (body) => {
    const data = body ?? {}
    if (typeof data !== 'object' || Array.isArray(data)) {
      return invalid({ non_field_errors: [`Invalid data. Expected a dictionary, but got ${pythonType(data)}.`] })
    }
    const errors: FieldErrors = {}
    const value: Record<string, unknown> = {}
    for (const { name, field, check } of checks) {
      const given = (data as Record<string, unknown>)[name]
      if (given === undefined) {
        errors[name] = [MESSAGES.required]
      } else if (given === null || given === '' || !check.Check(given)) {
        errors[name] = [fieldError(field, given)]
      } else {
        value[field.as ?? name] = given
      }
    }
    return Object.keys(errors).length > 0 ? invalid(errors) : { value }
  }
}
