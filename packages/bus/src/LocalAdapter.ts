import { BusAdapter } from './BusAdapter.js'

/** The single-node default: nothing leaves the process, so nothing is ever encoded. */
export class LocalAdapter extends BusAdapter {
  override readonly distributed: boolean = false

  protected doPublish(): void {}
  protected doSubscribe(): void {}
  protected doUnsubscribe(): void {}
}
