// Scripted turns: scenario.script is a list of canned assistant turns, served
// one per (valid) request in order, whatever the request says. A turn:
//
//   {
//     "text": "...",                          optional assistant text
//     "tool_calls": [                         optional
//       {"name": "Read", "input": {...}},     arguments as an object
//       {"name": "Edit", "arguments": "{bad"} OpenAI: the raw arguments string
//                                             (Anthropic: parsed, {} if not JSON)
//       ...  "id": "..." to fix the id (default: generated)
//     ],
//     "stop": "max_tokens",                   either API's name: end_turn|tool_use|
//                                             max_tokens|pause_turn|refusal|
//                                             model_context_window_exceeded|stop|
//                                             tool_calls|length|content_filter;
//                                             mapped to the other API's name where
//                                             one exists, else sent as is
//     "refusal": "...",                       OpenAI message.refusal
//     "usage": {...} | null,                  merged over the computed usage
//                                             (null: no usage at all)
//     "status": 400, "error": {"type", "message"}   answer with this error instead
//     "fault": "429"                          inject this fault kind instead
//     "raw": "..." | {...}                    send this body verbatim (status 200
//                                             unless "status")
//   }
//
// When the script runs out, every request gets a 400 saying so (not a 5xx:
// a client would retry that forever).

export class Script {
  constructor(turns) {
    if (!Array.isArray(turns)) throw new Error('scenario.script must be a list of turns')
    turns.forEach((t, i) => {
      if (!t || typeof t !== 'object' || Array.isArray(t)) throw new Error(`scenario.script[${i}] must be an object`)
      if (t.tool_calls !== undefined && !Array.isArray(t.tool_calls)) throw new Error(`scenario.script[${i}].tool_calls must be a list`)
      for (const [k, c] of (t.tool_calls ?? []).entries()) {
        if (!c || typeof c.name !== 'string') throw new Error(`scenario.script[${i}].tool_calls[${k}] needs a name`)
      }
    })
    this.turns = turns
    this.next = 0
  }

  // The next turn, or null when the script is used up.
  take() {
    if (this.next >= this.turns.length) return null
    return { index: this.next, turn: this.turns[this.next++] }
  }

  // The neutral reply of a turn (see rules.mjs).
  static reply(turn) {
    return {
      text: turn.text ?? '',
      calls: (turn.tool_calls ?? []).map(c => ({ id: c.id, name: c.name, input: c.input, arguments: c.arguments })),
      stop: turn.stop,
      refusal: turn.refusal,
    }
  }
}
