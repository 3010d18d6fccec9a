-- Shared by the Neovim drivers: the plan, the observation record and the shutdown.
--
-- A driver observes and never asserts: each step stores what it saw in `obs` (an error in a step is stored
-- under obs.errors[step] and the next step still runs); `finish()` writes obs as JSON to plan.result and
-- quits with 0, and tests/editors/test_editors.py asserts on the JSON.
local E = {}

E.plan = vim.fn.json_decode(os.getenv("CHATLS_E2E_PLAN"))
E.obs = { errors = {} }

-- Every wait is capped by what is left of plan.budgetMs, so a misbehaving server still leaves time to
-- write the observations before the wrapper's `timeout` would kill Neovim.
local started = vim.loop.now()
function E.remaining_ms()
  return math.max(0, math.min(E.plan.timeoutMs, E.plan.budgetMs - (vim.loop.now() - started)))
end

function E.wait(condition, interval)
  return vim.wait(E.remaining_ms(), condition, interval or 20)
end

E.obs.seconds = vim.empty_dict() -- step name -> seconds it took (shown when a test fails)
function E.step(name, fn)
  local step_started = vim.loop.now()
  local ok, err = pcall(fn)
  if not ok then E.obs.errors[name] = tostring(err) end
  E.obs.seconds[name] = (vim.loop.now() - step_started) / 1000
end

-- The buffer's text as it would be saved (a final line break when 'eol' is set), to compare with files.
function E.buffer_text(bufnr)
  local eol = vim.api.nvim_buf_get_option(bufnr, "eol") and "\n" or ""
  return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n") .. eol
end

function E.open(path)
  vim.cmd("edit " .. vim.fn.fnameescape(path))
  return vim.api.nvim_get_current_buf()
end

-- A synchronous request as { result = ... } or { error = { code, message } }; raises on timeout.
function E.request(client, method, params, bufnr)
  local timeout = E.remaining_ms()
  local resp = client.request_sync(method, params, timeout, bufnr or 0)
  if resp == nil then error(method .. ": no response within " .. timeout .. " ms") end
  if resp.err then return { error = { code = resp.err.code, message = resp.err.message } } end
  return { result = resp.result }
end

-- Ask chatls/conversation until its last message is a finished assistant reply; returns the last answer.
function E.settled_conversation(client, conversation_id)
  local last
  repeat -- request_sync waits itself, so poll in a loop rather than inside vim.wait's condition
    last = E.request(client, "chatls/conversation", { conversationId = conversation_id })
    local messages = last.result and last.result.messages or {}
    local reply = messages[#messages]
    if reply ~= nil and reply.role == "assistant" and reply.status ~= "pending" then break end
    vim.wait(100)
  until E.remaining_ms() == 0
  return last
end

-- The command a code action runs (a CodeAction carries a Command; a bare Command is its own).
function E.command_of(action)
  return type(action.command) == "table" and action.command or action
end

-- Answer Neovim's code-action menu with the action running `command_id`; fills and returns the titles shown.
function E.choose_action(command_id)
  local offered = {}
  E.menu_opened = false
  vim.ui.select = function(items, _, on_choice)
    E.menu_opened = true
    for i, item in ipairs(items) do
      local action = item[2] or item.action -- 0.7: {client_id, action}; 0.10: {ctx=..., action=...}
      table.insert(offered, action.title)
      if E.command_of(action).command == command_id then return on_choice(item, i) end
    end
    on_choice(nil, nil)
  end
  return offered
end

-- Open Neovim's code-action menu for an LSP range of the current buffer, as a visual selection would.
function E.code_action_menu(range)
  local start_pos = { range.start.line + 1, range.start.character }
  local end_pos = { range["end"].line + 1, range["end"].character - 1 } -- mark-like: inclusive end
  if vim.fn.has("nvim-0.8") == 1 then
    vim.lsp.buf.code_action({ range = { start = start_pos, ["end"] = end_pos } })
  else
    vim.lsp.buf.range_code_action(nil, start_pos, end_pos)
  end
  if not E.wait(function() return E.menu_opened end) then error("the code-action menu never opened") end
end

-- "Edit with instruction…" from Neovim's code-action menu on plan.files.edit, answering vim.ui.input with
-- the plan's instruction; records what was asked and the buffer afterwards.
function E.edit_via_menu(bufnr)
  local before = E.buffer_text(bufnr)
  vim.ui.input = function(opts, on_confirm)
    E.obs.editAsked = opts.prompt
    on_confirm(E.plan.files.edit.instruction)
  end
  E.obs.editMenu = E.choose_action("chatls.editSelection")
  E.code_action_menu(E.plan.files.edit.range)
  E.wait(function() return E.buffer_text(bufnr) ~= before end)
  E.obs.editBuffer = E.buffer_text(bufnr)
end

-- The server asks before applying an edit Neovim would apply unseen (window/showMessageRequest): answer
-- with the action titled `title` ("Apply", "Allow"), as a user would pick it, and record each question.
-- The helper asks with vim.fn.confirm; Neovim's own handler (bare runs) with vim.fn.inputlist.
E.questions = {}
function E.answer_questions(title)
  vim.fn.confirm = function(message, choices)
    table.insert(E.questions, message)
    for i, label in ipairs(vim.split(choices, "\n", { plain = true })) do
      if label:gsub("&", "") == title then return i end
    end
    return 0
  end
  vim.fn.inputlist = function(lines)
    table.insert(E.questions, lines[1])
    for _, line in ipairs(lines) do
      local number, label = line:match("^(%d+)%. (.*)$")
      if label == title then return tonumber(number) end
    end
    return 0
  end
end

-- What the user is shown in the message area, oldest first. vim.notify (0.7 and 0.10) and the helper's
-- echoes go through nvim_echo or nvim_err_writeln; 0.7's window/showMessage handler writes with
-- nvim_out_write or nvim_err_writeln. Clearing echoes (empty text) are left out.
E.shown = {}
function E.record_messages()
  local function record(text)
    text = vim.trim(text or "")
    if text ~= "" then table.insert(E.shown, text) end
  end
  local api = vim.api
  local echo, out_write, err_writeln = api.nvim_echo, api.nvim_out_write, api.nvim_err_writeln
  api.nvim_echo = function(chunks, ...)
    local parts = {}
    for _, chunk in ipairs(chunks) do table.insert(parts, chunk[1]) end
    record(table.concat(parts))
    return echo(chunks, ...)
  end
  api.nvim_out_write = function(text) record(text); return out_write(text) end
  api.nvim_err_writeln = function(text) record(text); return err_writeln(text) end
end

-- The messages shown since E.shown held `count` of them.
function E.shown_since(count)
  return vim.list_slice(E.shown, count + 1, #E.shown)
end

function E.observe_conversations(client)
  E.obs.conversations = E.request(client, "chatls/conversations", { workspaceUri = E.plan.workspaceUri })
end

function E.finish(ok, err)
  if not ok then E.obs.errors.driver = tostring(err) end
  vim.fn.writefile({ vim.fn.json_encode(E.obs) }, E.plan.result)
  for _, c in pairs(vim.lsp.get_active_clients()) do c.stop() end
  vim.wait(3000, function() return #vim.lsp.get_active_clients() == 0 end, 50)
  vim.cmd("qa!")
end

vim.o.hidden = true -- edited buffers stay loaded while the next file is opened

return E
