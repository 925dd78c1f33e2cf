// The message box: Enter sends, Shift+Enter starts a new line, a counter near the length limit, a
// clear word instead of cutting a long paste, typing indicators.
import { lengthNote } from './format.js'
import { $ } from './render.js'
import { hooks, sendPrivate, sendToRoom } from './roomView.js'
import { state } from './state.js'

const ui = {
  composer: $('composer'),
  message: $('message'),
  counter: $('counter'),
  send: $('send'),
}
let typingIdle

function stopTyping() {
  clearTimeout(typingIdle)
  const v = state.view
  if (v?.kind === 'room') state.rooms.get(v.id)?.room.typing(false)
}

/** Grows the box with its text, up to a third of the screen (then it scrolls). */
function fit() {
  ui.message.style.height = 'auto'
  ui.message.style.height = `${Math.min(ui.message.scrollHeight + 2, window.innerHeight / 3)}px`
}

function showLength() {
  const note = lengthNote(ui.message.value.length)
  ui.counter.textContent = note?.text ?? ''
  ui.counter.dataset.over = String(note?.over === true)
  ui.message.setAttribute('aria-invalid', String(note?.over === true))
  ui.send.setAttribute('aria-disabled', String(note?.over === true))
  return note
}

function submit() {
  const text = ui.message.value.trim()
  const v = state.view
  if (!text || !v) return
  if (showLength()?.over) {
    ui.message.focus()
    return
  }
  ui.message.value = ''
  fit()
  showLength()
  stopTyping()
  if (v.kind === 'room') sendToRoom(v.id, text)
  else sendPrivate(v.id, text)
}

export function wireComposer() {
  hooks.onViewChange = stopTyping
  ui.message.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return
    event.preventDefault()
    submit()
  })
  ui.message.addEventListener('input', () => {
    fit()
    showLength()
    const v = state.view
    if (v?.kind !== 'room') return
    const joined = state.rooms.get(v.id)
    if (!joined) return
    clearTimeout(typingIdle)
    if (ui.message.value.trim() === '') {
      joined.room.typing(false)
      return
    }
    joined.room.typing(true)
    typingIdle = setTimeout(() => joined.room.typing(false), 4000)
  })
  ui.composer.addEventListener('submit', (event) => {
    event.preventDefault()
    submit()
  })
}
