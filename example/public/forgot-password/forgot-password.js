// Asks for a reset link, or a reset code. The answer is the same whether or not the login exists.
import { API, postJson, tryAgainIn } from '/assets/api.js'
import { clearStatus, setBusy, showStatus } from '/assets/status.js'

const form = document.getElementById('forgot-form')
const login = document.getElementById('login')
const status = document.getElementById('status')
const sendCode = document.getElementById('send-code')

function showOutcome ({ status: code, body, retryAfter }) {
  if (code === 200) {
    return { kind: 'ok', title: 'Check your e-mail', text: 'If this login belongs to an account, a link to choose a new password is on its way to the account\'s e-mail address. It works for one hour.' }
  }
  switch (body.code) {
    case 'FST_RESET_PASSWORD_USER_NOT_FOUND':
      return { kind: 'error', title: 'No account has this login', text: 'Check the spelling, or try your e-mail address instead of your username.' }
    case 'FST_RESET_PASSWORD_RATE_LIMITED':
      return { kind: 'error', title: 'Too many requests', text: `No new link was sent. ${tryAgainIn(retryAfter)}` }
    case 'FST_RESET_PASSWORD_UNAVAILABLE':
      return { kind: 'error', title: 'The service is unavailable', text: 'No link was sent. Try again in a few minutes.' }
    default:
      return { kind: 'error', title: 'Something went wrong', text: 'No link was sent. Check your connection and try again.' }
  }
}

// The code page reads the login from here: it is not a secret, but it stays out of the address (and so of logs).
sendCode.addEventListener('click', async () => {
  if (!form.reportValidity()) return
  clearStatus(status)
  setBusy(form, true)
  sendCode.disabled = true
  const result = await postJson(`${API}/send-reset-password-code`, { login: login.value.trim() })
  setBusy(form, false)
  sendCode.disabled = false
  if (result.status === 200) {
    window.sessionStorage.setItem('reset-login', login.value.trim())
    window.location.assign('/reset-with-code/')
    return
  }
  showStatus(status, showOutcome(result)).focus()
})

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  clearStatus(status)
  setBusy(form, true)
  const result = await postJson(`${API}/send-reset-password-link`, { login: login.value.trim() })
  setBusy(form, false)
  showStatus(status, showOutcome(result)).focus()
})
