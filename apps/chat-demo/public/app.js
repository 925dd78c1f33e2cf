// The chat page: plain DOM on top of the Hubbub client (window.Hubbub from /hubbub-client.iife.js),
// in small ES modules under js/: format (text for people), render (DOM pieces), state (what outlives a
// reload), connection (state pill and notices), roomView (conversations, sidebar, members, picker),
// composer (the message box) and login.
import { wireComposer } from './js/composer.js'
import { roomNameProblem } from './js/format.js'
import { wireLogin } from './js/login.js'
import { $ } from './js/render.js'
import { openRoom, wirePanels } from './js/roomView.js'

/** A "join or create a room" form: its own friendly error instead of the browser's pattern message. */
function roomForm(form, input, error) {
  input.addEventListener('input', () => {
    error.textContent = ''
    input.removeAttribute('aria-invalid')
  })
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const id = input.value.trim()
    const problem = roomNameProblem(id)
    if (problem) {
      error.textContent = problem
      input.setAttribute('aria-invalid', 'true')
      return
    }
    if (await openRoom(id)) input.value = ''
  })
}

roomForm($('new-room-form'), $('new-room'), $('new-room-error'))
roomForm($('picker-form'), $('picker-room'), $('picker-error'))
wirePanels()
wireComposer()
wireLogin()
