// The example's login: it proves that a new password works.
import { API, postJson } from '/assets/api.js'
import { clearStatus, setBusy, showStatus } from '/assets/status.js'

const form = document.getElementById('login-form')
const login = document.getElementById('login')
const password = document.getElementById('password')
const status = document.getElementById('status')

function showOutcome ({ status: code }) {
  if (code === 200) {
    form.hidden = true
    return { kind: 'ok', title: 'You are logged in', text: 'Your password works.' }
  }
  if (code === 400 || code === 401) {
    password.value = ''
    return { kind: 'error', title: 'Wrong login or password', text: 'Check both and try again.' }
  }
  return { kind: 'error', title: 'Something went wrong', text: 'You are not logged in. Check your connection and try again.' }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  clearStatus(status)
  setBusy(form, true)
  const result = await postJson(`${API}/login`, { login: login.value.trim(), password: password.value })
  setBusy(form, false)
  showStatus(status, showOutcome(result)).focus()
})
