// The page "Send me a code instead" leads to: the login, the mailed code and a new password.
import { API, postJson, tryAgainIn } from '/assets/api.js'
import { clearStatus, setBusy, showStatus } from '/assets/status.js'

const form = document.getElementById('code-form')
const login = document.getElementById('login')
const code = document.getElementById('code')
const password = document.getElementById('password')
const again = document.getElementById('password-confirm')
const status = document.getElementById('status')

const NOT_CHANGED = 'Your password was not changed.'
const NEW_CODE = { href: '/forgot-password/', text: 'Ask for a new code' }
const mismatch = { title: 'The passwords do not match', text: 'Type the same new password in both fields.' }

/** A problem with a field: it is marked, described by the message, and focused. */
function fieldError (field, outcome) {
  showStatus(status, { kind: 'error', ...outcome })
  field.setAttribute('aria-invalid', 'true')
  field.focus()
  field.select()
}

function clearErrors () {
  clearStatus(status)
  for (const field of [code, password, again]) field.removeAttribute('aria-invalid')
}

function showOutcome ({ status: answer, body, retryAfter }) {
  if (answer === 200) {
    form.hidden = true
    document.getElementById('intro').hidden = true
    form.reset()
    window.sessionStorage.removeItem('reset-login')
    return showStatus(status, { kind: 'ok', title: 'Your password has been changed', text: 'You can now log in with your new password.', link: { href: '/login/', text: 'Log in' } }).focus()
  }
  switch (body.code) {
    // One answer for a wrong, expired or used code and an unknown login: the server does not say which.
    case 'FST_RESET_PASSWORD_INVALID_CODE':
      return fieldError(code, { title: 'This code does not work', text: `Check the login and the digits. A code works once, for a limited time, and after a few wrong tries it stops working. ${NOT_CHANGED}`, link: NEW_CODE })
    case 'FST_RESET_PASSWORD_PASSWORD_MISMATCH':
      return fieldError(again, mismatch)
    case 'FST_RESET_PASSWORD_INVALID_PASSWORD':
      return fieldError(password, { title: 'Choose a different password', text: 'This password cannot be used:', list: (body.reasons ?? []).map((reason) => reason.message) })
    case 'FST_RESET_PASSWORD_RATE_LIMITED':
      return showStatus(status, { kind: 'error', title: 'Too many attempts', text: `${NOT_CHANGED} ${tryAgainIn(retryAfter)}` }).focus()
    case 'FST_RESET_PASSWORD_UNAVAILABLE':
      return showStatus(status, { kind: 'error', title: 'The service is unavailable', text: `${NOT_CHANGED} Try again in a few minutes.` }).focus()
    default:
      return showStatus(status, { kind: 'error', title: 'Something went wrong', text: `${NOT_CHANGED} Check your connection and try again.` }).focus()
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  clearErrors()
  if (password.value !== again.value) return fieldError(again, mismatch)
  setBusy(form, true)
  const result = await postJson(`${API}/reset-password-with-code`, {
    login: login.value.trim(),
    code: code.value,
    password: password.value,
    password_confirm: again.value
  })
  setBusy(form, false)
  showOutcome(result)
})

login.value = window.sessionStorage.getItem('reset-login') ?? ''
;(login.value === '' ? login : code).focus()
