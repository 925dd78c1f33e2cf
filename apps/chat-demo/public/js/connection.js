// The connection state pill (announced to screen readers), the notice bar and its "Retry now".
import { $ } from './render.js'
import { state } from './state.js'

const STATE_LABEL = {
  connecting: 'Connecting…',
  open: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
}

const ui = {
  connState: $('conn-state'),
  connLabel: $('conn-label'),
  notice: $('notice'),
  noticeText: $('notice-text'),
  retry: $('retry-now'),
  composer: $('composer'),
}
let noticeTimer

/** Shows a line above the conversation; `retry` adds the "Retry now" button. */
export function showNotice(text, { sticky = false, tone = 'warn', retry = false } = {}) {
  clearTimeout(noticeTimer)
  ui.noticeText.textContent = text
  ui.notice.dataset.tone = tone
  ui.notice.hidden = false
  ui.retry.hidden = !retry
  if (!sticky) noticeTimer = setTimeout(hideNotice, 6000)
}

export function hideNotice() {
  clearTimeout(noticeTimer)
  ui.notice.hidden = true
}

export function setConnState(connState) {
  ui.connState.dataset.state = connState
  ui.connLabel.textContent = STATE_LABEL[connState] ?? connState
  const id = state.client?.welcome?.connectionId
  if (id) {
    ui.connState.dataset.connectionId = id
    ui.connState.title = `Connection ${id}`
  }
  ui.composer.classList.toggle('offline', connState !== 'open')
}

ui.retry.addEventListener('click', () => {
  ui.retry.hidden = true
  ui.noticeText.textContent = 'Reconnecting…'
  state.client?.reconnectNow()
})

/** Follows the client's state: a lost link, the way back, and a final close. */
export function watchConnection(client) {
  client.on('state', (s) => {
    setConnState(s)
    if (s === 'reconnecting') {
      for (const joined of state.rooms.values()) joined.recovered = 0
      showNotice('Connection lost. Your messages wait here and go out when it is back.', {
        sticky: true,
        retry: true,
      })
    } else if (s === 'open' && !ui.notice.hidden && ui.notice.dataset.tone === 'warn') {
      showNotice('Reconnected.', { tone: 'ok' })
    } else if (s === 'closed' && state.view) {
      showNotice('Disconnected from the server. Reload the page to reconnect.', { sticky: true, tone: 'bad' })
    }
  })
}
