-- ChatLS for Neovim 0.7+: starts `chatls serve` for your buffers, streams replies into a transcript buffer,
-- and adds :ChatLS, :ChatLSAgent, :ChatLSAttach, :ChatLSAttachments, :ChatLSNew, :ChatLSCancel,
-- :ChatLSTranscript and :ChatLSConversations. No other plugin needed (no nvim-lspconfig).
--
--   set runtimepath+=/path/to/chatls/editors/nvim
--   lua require("chatls").setup({ init_options = { profiles = {...}, defaultProfile = "..." } })
--
-- The server is `cmd` when set (e.g. { "/path/to/venv/bin/chatls", "serve" }), else the project's
-- .venv/bin/chatls, else `chatls` on PATH. When none can run, the helper says so once, in one line.
--
-- Code actions (Explain, Fix, Improve, ...) come from the server through Neovim's own menu
-- (vim.lsp.buf.code_action / range_code_action). This module only adds what LSP has no UI for: the chat
-- transcript, and asking for the instruction of "Edit with instruction". See docs/editors.md.
local M = {}

M.config = {
  cmd = nil, -- nil: <project>/.venv/bin/chatls, then `chatls` on PATH; or e.g. { "/venv/bin/chatls", "serve" }
  filetypes = nil, -- nil: every buffer that has a file; or a list such as { "python", "lua" }
  init_options = {},
  root_markers = { ".git", "pyproject.toml", "package.json", "Cargo.toml", "go.mod" },
  open_transcript = true, -- show the transcript in a split when a reply starts
}

M.conversation_id = nil -- the conversation :ChatLS continues (the latest one seen)
M.last_result = nil -- result of the last chat or code-action command
M.status = nil -- status of the reply in progress ("waiting for gpt-4o", "thinking 12 s"); nil once text flows
M.last_message_id = nil -- the reply that streamed last

local clients_by_root = {} -- 0.7 has no vim.lsp.start: reuse one client per root ourselves
local pending = nil -- { client = ..., id = ... } of the chat in flight
local streaming_message = nil -- messageId whose text the transcript's last lines hold
local section = nil -- what the transcript's end shows of streaming_message: "thinking" or "answer"
M.server_problem = nil -- why no server could be started (said once; repeated by :ChatLS)
M.attachments = {} -- context items (docs/protocol.md "Context items") sent with the next question

local function notify(msg, level) vim.notify("ChatLS: " .. msg, level or vim.log.levels.INFO) end

-- Transcript ------------------------------------------------------------------------------------------

function M.transcript_buffer()
  local buf = vim.fn.bufnr("chatls://transcript")
  if buf ~= -1 and vim.api.nvim_buf_is_valid(buf) then return buf end
  buf = vim.api.nvim_create_buf(true, true)
  vim.api.nvim_buf_set_name(buf, "chatls://transcript")
  vim.api.nvim_buf_set_option(buf, "filetype", "markdown")
  vim.api.nvim_buf_set_option(buf, "bufhidden", "hide")
  return buf
end

local function show_transcript(buf, force)
  if not (M.config.open_transcript or force) or vim.fn.bufwinid(buf) ~= -1 then return end
  local win = vim.api.nvim_get_current_win()
  vim.cmd("botright split")
  vim.api.nvim_win_set_buf(0, buf)
  vim.api.nvim_set_current_win(win)
end

-- Append `text` to the transcript; it continues the last line (replies arrive in pieces).
local function append(text)
  local buf = M.transcript_buffer()
  local last = vim.api.nvim_buf_line_count(buf)
  local tail = vim.api.nvim_buf_get_lines(buf, last - 1, last, false)[1] or ""
  vim.api.nvim_buf_set_lines(buf, last - 1, last, false, vim.split(tail .. text, "\n", { plain = true }))
  local win = vim.fn.bufwinid(buf)
  if win ~= -1 then vim.api.nvim_win_set_cursor(win, { vim.api.nvim_buf_line_count(buf), 0 }) end
end

local function start_section(title)
  local buf = M.transcript_buffer()
  local empty = vim.api.nvim_buf_line_count(buf) == 1 and vim.api.nvim_buf_get_lines(buf, 0, 1, false)[1] == ""
  append((empty and "" or "\n\n") .. "## " .. title .. "\n\n")
  show_transcript(buf)
end

-- The text of the reply with this message id, as the transcript shows it.
function M.reply_text(message_id)
  return M._replies and M._replies[message_id] or nil
end

-- A field of a citation; JSON null arrives as vim.NIL.
local function cited(citation, name)
  local value = citation[name]
  if value == nil or value == vim.NIL or value == "" then return nil end
  return value
end

-- `[1] policy.md (chunk 0) — https://…`: what `[doc1]` in a grounded (On Your Data) answer points to.
function M.reference_line(number, citation)
  local title, url, filepath, chunk = cited(citation, "title"), cited(citation, "url"), cited(citation, "filepath"),
    cited(citation, "chunkId")
  local label = title or filepath or url or "(untitled source)"
  local where = (url and url ~= label and url) or (filepath and filepath ~= label and filepath) or nil
  return ("[%d] %s%s%s"):format(number, label, chunk and (" (chunk " .. chunk .. ")") or "",
    where and (" — " .. where) or "")
end

-- The numbered reference list shown after a grounded answer ("" when it cites nothing).
function M.references(citations)
  if type(citations) ~= "table" or #citations == 0 then return "" end
  local lines = { "\n\nReferences:" }
  for number, citation in ipairs(citations) do table.insert(lines, M.reference_line(number, citation)) end
  return table.concat(lines, "\n")
end

-- Server -> client ------------------------------------------------------------------------------------

-- The status line a statusline can show (`%{v:lua.require'chatls'.statusline()}`): "" when there is none.
function M.statusline()
  return M.status and ("ChatLS: " .. M.status) or ""
end

-- A status comes before a reply's text (the first one, "waiting for <model>", as soon as the question is
-- stored) and while the model is not writing ("thinking 12 s", "rate limited, retrying in 8 s"). It is
-- echoed, and the echo is cleared once text flows or the turn ends, so no stale status lingers.
local function set_status(status)
  if status == M.status then return end
  M.status = status
  vim.api.nvim_echo({ { status and ("ChatLS: " .. status) or "" } }, false, {})
end

-- Make the transcript's end show `part` ("thinking" or "answer") of the reply `message_id`.
local function enter(message_id, part)
  if streaming_message == message_id and section == part then return end
  if streaming_message ~= message_id or part == "thinking" then start_section("ChatLS") end
  if part == "thinking" then append("### Thinking\n\n") end
  if part == "answer" and section == "thinking" and streaming_message == message_id then append("\n\n---\n\n") end
  streaming_message, section = message_id, part
end

-- The reasoning summary streamed so far for a reply.
function M.reasoning_text(message_id)
  return M._thoughts and M._thoughts[message_id] or nil
end

-- An agent tool step: "started" and "finished" lines in the transcript, each on its own line.
local function show_step(message_id, step)
  enter(message_id, "answer")
  local mark = step.phase == "started" and "…" or (step.ok == false and "✗" or "✓")
  local buf = M.transcript_buffer()
  local last = vim.api.nvim_buf_get_lines(buf, -2, -1, false)[1] or ""
  append((last == "" and "" or "\n") .. ("> %s step %d %s: %s\n"):format(mark, step.index or 0, step.phase, step.summary or step.name))
  M.steps = M.steps or {}
  table.insert(M.steps, { index = step.index, phase = step.phase, name = step.name, ok = step.ok ~= false })
end

function M.on_delta(_, delta)
  if not delta then return end
  M.conversation_id = delta.conversationId or M.conversation_id
  if type(delta.step) == "table" then show_step(delta.messageId, delta.step) end
  if type(delta.status) == "string" then set_status(delta.status) end
  if type(delta.reasoning) == "string" and delta.reasoning ~= "" then
    enter(delta.messageId, "thinking")
    M._thoughts = M._thoughts or {}
    M._thoughts[delta.messageId] = (M._thoughts[delta.messageId] or "") .. delta.reasoning
    append(delta.reasoning)
  end
  if type(delta.content) ~= "string" or delta.content == "" then return end
  set_status(nil)
  enter(delta.messageId, "answer")
  M.last_message_id = delta.messageId
  M._replies = M._replies or {}
  M._replies[delta.messageId] = (M._replies[delta.messageId] or "") .. delta.content
  append(delta.content)
end

-- Edits -----------------------------------------------------------------------------------------------

-- Show a file the server created (Generate tests) in a split, unless a window shows it already.
local function show_file(fname)
  local buf = vim.fn.bufnr(fname)
  if buf ~= -1 and vim.fn.bufwinid(buf) ~= -1 then return end
  vim.cmd("botright split " .. vim.fn.fnameescape(fname))
end

-- The files a WorkspaceEdit changes (documentChanges or changes).
local function edited_files(edit)
  local files = {}
  for _, change in ipairs(edit and edit.documentChanges or {}) do
    local uri = change.textDocument and change.textDocument.uri
    if uri then table.insert(files, vim.uri_to_fname(uri)) end
  end
  for uri in pairs(edit and edit.changes or {}) do table.insert(files, vim.uri_to_fname(uri)) end
  return files
end

-- window/showMessageRequest: the server asks before the agent runs a command or changes files. Answered
-- with vim.fn.confirm (a modal prompt: typed keys cannot slip into a buffer); Esc declines.
function M.on_message_request(_, params)
  local actions = params and params.actions or {}
  if #actions == 0 then
    vim.notify("ChatLS: " .. (params and params.message or ""))
    return vim.NIL
  end
  local choices = {}
  for _, action in ipairs(actions) do table.insert(choices, "&" .. action.title:gsub("&", "&&")) end
  local choice = vim.fn.confirm("ChatLS: " .. params.message, table.concat(choices, "\n"), #actions, "Question")
  return actions[choice] or vim.NIL
end

-- workspace/applyEdit, around Neovim's own: a file the edit creates gets its directory first (0.7-0.9
-- write the new file with io.open, which fails without it), and is saved and shown afterwards (Neovim
-- leaves it empty on disk, its text in a hidden, unsaved buffer).
function M.on_apply_edit(err, params, ctx, config)
  local created = {}
  for _, change in ipairs(params and params.edit and params.edit.documentChanges or {}) do
    if change.kind == "create" then
      local fname = vim.uri_to_fname(change.uri)
      vim.fn.mkdir(vim.fn.fnamemodify(fname, ":h"), "p")
      table.insert(created, fname)
    end
  end
  local response = vim.lsp.handlers["workspace/applyEdit"](err, params, ctx, config)
  if response and response.applied and (params.label or ""):find("^ChatLS agent") then
    -- The user allowed the agent's changes to these files: they are saved, as a reviewed edit would be.
    for _, fname in ipairs(edited_files(params.edit)) do
      local buf = vim.fn.bufnr(fname)
      if buf ~= -1 and vim.api.nvim_buf_get_option(buf, "modified") then
        vim.api.nvim_buf_call(buf, function() vim.cmd("silent noautocmd write") end)
      end
    end
  end
  if response and response.applied then
    for _, fname in ipairs(created) do
      local buf = vim.fn.bufnr(fname)
      if buf ~= -1 and vim.api.nvim_buf_get_option(buf, "modified") then
        vim.fn.bufload(buf)
        vim.api.nvim_buf_call(buf, function() vim.cmd("silent noautocmd write") end)
      end
      show_file(fname)
    end
  end
  return response
end

-- Buffers and clients ---------------------------------------------------------------------------------

local function root_dir(bufnr)
  local dir = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ":p:h")
  for _, marker in ipairs(M.config.root_markers) do
    local found = vim.fn.finddir(marker, dir .. ";")
    if found == "" then found = vim.fn.findfile(marker, dir .. ";") end
    if found ~= "" then
      local marker_path = vim.fn.fnamemodify(found, ":p"):gsub("/$", "")
      return vim.fn.fnamemodify(marker_path, ":h")
    end
  end
  return dir
end

-- The command that starts the server for a project: the configured one, the project's .venv/bin/chatls,
-- or `chatls` on PATH; nil and the reason when none of them can run.
function M.server_cmd(root)
  local configured = M.config.cmd
  if configured then
    if vim.fn.executable(configured[1]) == 1 then return configured end
    return nil, ("cannot run %s (the cmd given to require('chatls').setup); set cmd to the chatls of the "
      .. "venv you installed it in, e.g. { '/path/to/venv/bin/chatls', 'serve' }"):format(configured[1])
  end
  local venv = root .. "/.venv/bin/chatls"
  if vim.fn.executable(venv) == 1 then return { venv, "serve" } end
  if vim.fn.executable("chatls") == 1 then return { "chatls", "serve" } end
  return nil, ("no chatls server found (not in %s/.venv/bin nor on PATH); set it with "
    .. "require('chatls').setup({ cmd = { '/path/to/venv/bin/chatls', 'serve' } })"):format(root)
end

local function client_config(root, cmd)
  return {
    name = "chatls",
    cmd = cmd,
    root_dir = root,
    init_options = M.config.init_options,
    handlers = {
      ["chatls/delta"] = M.on_delta,
      ["workspace/applyEdit"] = M.on_apply_edit,
      ["window/showMessageRequest"] = M.on_message_request,
    },
  }
end

-- Start (or reuse) the server for this buffer's project and attach the buffer to it.
function M.attach(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  if vim.api.nvim_buf_get_option(bufnr, "buftype") ~= "" or vim.api.nvim_buf_get_name(bufnr) == "" then return end
  local root = root_dir(bufnr)
  local cmd, problem = M.server_cmd(root)
  if not cmd then
    if M.server_problem == nil then notify(problem, vim.log.levels.WARN) end -- once, not on every file
    M.server_problem = problem
    return nil
  end
  if vim.lsp.start then -- 0.8+: reuses a running client with the same name and root
    return vim.lsp.start(client_config(root, cmd), { bufnr = bufnr })
  end
  local id = clients_by_root[root]
  if not id or not vim.lsp.get_client_by_id(id) then
    id = vim.lsp.start_client(client_config(root, cmd))
    clients_by_root[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

-- The ChatLS client attached to a buffer (default: the current one), or nil.
function M.client(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  if vim.lsp.get_clients then -- 0.10+; buf_get_clients is deprecated there
    return vim.lsp.get_clients({ bufnr = bufnr, name = "chatls" })[1]
  end
  for _, c in pairs(vim.lsp.buf_get_clients(bufnr)) do
    if c.name == "chatls" then return c end
  end
  return nil
end

-- Chat ------------------------------------------------------------------------------------------------

-- Send `prompt` in the current conversation. `opts.range` = { first_line, last_line } (1-based) attaches
-- those lines of the current buffer as context; `opts.profile` picks a profile other than the default.
-- Returns the request id.
function M.chat(prompt, opts)
  opts = opts or {}
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    return notify(M.server_problem or "no ChatLS server for this buffer (it has no file)", vim.log.levels.ERROR)
  end
  local params = { prompt = prompt, conversationId = M.conversation_id, profile = opts.profile, mode = opts.mode }
  if opts.mode == "agent" then params.workspaceUri = vim.uri_from_fname(client.config.root_dir) end
  if #M.attachments > 0 then
    params.attachments = M.attachments
    M.attachments = {}
  end
  if opts.range then
    local last_text = vim.api.nvim_buf_get_lines(bufnr, opts.range[2] - 1, opts.range[2], false)[1] or ""
    local _, end_utf16 = vim.str_utfindex(last_text)
    params.context = {
      uri = vim.uri_from_bufnr(bufnr),
      range = {
        start = { line = opts.range[1] - 1, character = 0 },
        ["end"] = { line = opts.range[2] - 1, character = end_utf16 },
      },
    }
  end
  start_section(opts.mode == "agent" and "You (agent)" or "You")
  append(prompt)
  for _, item in ipairs(params.attachments or {}) do append("\n- attached: " .. M.describe(item)) end
  streaming_message = nil
  local ok, id = client.request("chatls/chat", params, function(err, result)
    pending = nil
    set_status(nil)
    if err then
      append("\n\n[error] " .. err.message)
      return notify(err.message, vim.log.levels.ERROR)
    end
    M.last_result = result
    M.conversation_id = result.conversationId
    append(M.references(result.citations))
    append(("\n\n_%s · %s_"):format(result.model, result.stopReason or result.finishReason))
  end, bufnr)
  if not ok then return notify("the server is not running", vim.log.levels.ERROR) end
  pending = { client = client, id = id }
  return id
end

-- Stop the chat in flight; the server keeps the partial reply, marked cancelled.
function M.cancel()
  if not pending then return false end
  pending.client.cancel_request(pending.id)
  pending = nil
  set_status(nil)
  append("\n\n_(cancelled)_")
  return true
end

function M.new_conversation()
  M.conversation_id = nil
  streaming_message, section = nil, nil
end

-- Reopen the transcript in a split (after it was closed).
function M.open_transcript()
  show_transcript(M.transcript_buffer(), true)
end

-- Show a stored conversation in the transcript and continue it with the next :ChatLS.
function M.load_conversation(client, conversation_id, on_done)
  client.request("chatls/conversation", { conversationId = conversation_id }, function(err, result)
    if err then return notify(err.message, vim.log.levels.ERROR) end
    local buf = M.transcript_buffer()
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, { "# " .. (result.title or "Conversation") })
    for _, message in ipairs(result.messages or {}) do
      start_section(message.role == "user" and "You" or "ChatLS")
      if message.reasoning and message.reasoning ~= "" then
        append("### Thinking\n\n" .. message.reasoning .. "\n\n---\n\n")
      end
      append(message.content or "")
      append(M.references(message.citations))
      if message.status and message.status ~= "complete" then append("\n\n_(" .. message.status .. ")_") end
    end
    M.conversation_id, streaming_message, section = result.id or conversation_id, nil, nil
    show_transcript(buf, true)
    if on_done then on_done(result) end
  end, vim.api.nvim_get_current_buf())
end

-- Pick one of the project's conversations (vim.ui.select) and open it in the transcript.
function M.browse_conversations(on_done)
  local client = M.client()
  if not client then
    return notify(M.server_problem or "no ChatLS server for this buffer (it has no file)", vim.log.levels.ERROR)
  end
  local workspace = vim.uri_from_fname(client.config.root_dir)
  client.request("chatls/conversations", { workspaceUri = workspace }, function(err, result)
    if err then return notify(err.message, vim.log.levels.ERROR) end
    if not result or #result == 0 then return notify("no conversations in this project yet") end
    vim.ui.select(result, {
      prompt = "ChatLS conversations",
      format_item = function(c)
        return ("%s  %s  (%d messages)"):format((c.updatedAt or ""):sub(1, 16):gsub("T", " "), c.title, c.messageCount)
      end,
    }, function(choice)
      if choice then M.load_conversation(client, choice.id, on_done) end
    end)
  end, vim.api.nvim_get_current_buf())
end

-- Attachments ----------------------------------------------------------------------------------------

local function lsp_range(bufnr, first, last)
  local last_text = vim.api.nvim_buf_get_lines(bufnr, last - 1, last, false)[1] or ""
  local _, end_utf16 = vim.str_utfindex(last_text)
  return { start = { line = first - 1, character = 0 }, ["end"] = { line = last - 1, character = end_utf16 } }
end

-- A context item in words, as the transcript and :ChatLSAttachments show it.
function M.describe(item)
  local name = item.uri and vim.fn.fnamemodify(vim.uri_to_fname(item.uri), ":~:.") or nil
  if item.kind == "range" then
    return ("lines %d-%d of %s"):format(item.range.start.line + 1, item.range["end"].line + 1, name)
  elseif item.kind == "problems" then
    return ("problems in %s (%d)"):format(name or "the workspace", #(item.diagnostics or {}))
  elseif item.kind == "diff" then
    return item.staged and "git diff (staged)" or "git diff (working tree)"
  end
  return ("%s %s"):format(item.kind, name or "")
end

-- Attach context to the next question: "buffer", "range" (lines first..last), "problems" (the buffer's
-- diagnostics, as Neovim has them) or "diff" (staged = true for `git diff --staged`). Returns the item.
function M.attach_context(kind, opts)
  opts = opts or {}
  local bufnr = vim.api.nvim_get_current_buf()
  local uri = vim.api.nvim_buf_get_name(bufnr) ~= "" and vim.uri_from_bufnr(bufnr) or nil
  local item
  if kind == "buffer" then
    item = { kind = "file", uri = uri }
  elseif kind == "range" then
    item = { kind = "range", uri = uri, range = lsp_range(bufnr, opts.first, opts.last) }
  elseif kind == "problems" then
    local diagnostics = {}
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      table.insert(diagnostics, {
        range = lsp_range(bufnr, d.lnum + 1, (d.end_lnum or d.lnum) + 1),
        message = d.message, severity = d.severity, source = d.source,
      })
    end
    item = { kind = "problems", uri = uri, diagnostics = diagnostics }
  elseif kind == "diff" then
    item = { kind = "diff", staged = opts.staged or nil }
  else
    return notify("attach what? buffer, range, problems or diff", vim.log.levels.ERROR)
  end
  if item.uri == nil and kind ~= "diff" then return notify("this buffer has no file", vim.log.levels.ERROR) end
  table.insert(M.attachments, item)
  notify("attached " .. M.describe(item) .. (" (%d for the next question)"):format(#M.attachments))
  return item
end

-- Code-action commands --------------------------------------------------------------------------------

-- Neovim runs a code action's command through vim.lsp.commands[...] when one is registered. Ours sends the
-- command to the server (asking for the instruction first where one is needed) and keeps the result. When
-- an edit was not applied the server itself says why (window/showMessage), so `reason` is not repeated here.
local function run_action(command, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  local function send(args)
    client.request("workspace/executeCommand", { command = command.command, arguments = args }, function(err, result)
      set_status(nil)
      if err then return notify(err.message, vim.log.levels.ERROR) end
      M.last_result = result
      if result and result.conversationId then M.conversation_id = result.conversationId end
    end, ctx.bufnr)
  end
  local args = vim.deepcopy(command.arguments or {})
  if command.command ~= "chatls.editSelection" or (args[1] and args[1].instruction) then return send(args) end
  vim.ui.input({ prompt = "ChatLS: edit instruction: " }, function(instruction)
    if not instruction or instruction == "" then return end
    args[1] = vim.tbl_extend("force", args[1] or {}, { instruction = instruction })
    send(args)
  end)
end

local ACTION_COMMANDS = {
  "chatls.explain", "chatls.fix", "chatls.improve", "chatls.document",
  "chatls.generateTests", "chatls.askInChat", "chatls.editSelection",
}

-- Setup -----------------------------------------------------------------------------------------------

function M.setup(opts)
  M.config = vim.tbl_deep_extend("force", M.config, opts or {})
  for _, name in ipairs(ACTION_COMMANDS) do vim.lsp.commands[name] = run_action end

  local group = vim.api.nvim_create_augroup("chatls", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = M.config.filetypes or "*",
    callback = function(ev) M.attach(ev.buf) end,
  })

  vim.api.nvim_create_user_command("ChatLS", function(c)
    local prompt = c.args ~= "" and c.args or vim.fn.input("ChatLS: ")
    if prompt == "" then return end
    M.chat(prompt, { range = c.range > 0 and { c.line1, c.line2 } or nil })
  end, { nargs = "*", range = true, desc = "Ask ChatLS (with a range: about those lines)" })
  vim.api.nvim_create_user_command("ChatLSAgent", function(c)
    local prompt = c.args ~= "" and c.args or vim.fn.input("ChatLS agent: ")
    if prompt == "" then return end
    M.chat(prompt, { mode = "agent" })
  end, { nargs = "*", desc = "Ask ChatLS in agent mode (it may read the project and propose edits)" })
  vim.api.nvim_create_user_command("ChatLSAttach", function(c)
    local kind = c.fargs[1] or "buffer"
    if kind == "range" and c.range == 0 then kind = "buffer" end
    M.attach_context(kind, { first = c.line1, last = c.line2, staged = c.fargs[2] == "staged" })
  end, {
    nargs = "*", range = true,
    complete = function() return { "buffer", "range", "problems", "diff" } end,
    desc = "Attach the buffer, the lines (with a range), its problems or the git diff to the next question",
  })
  vim.api.nvim_create_user_command("ChatLSAttachments", function(c)
    if c.args == "clear" then
      M.attachments = {}
      return notify("attachments cleared")
    end
    if #M.attachments == 0 then return notify("nothing attached") end
    local lines = {}
    for i, item in ipairs(M.attachments) do table.insert(lines, ("%d. %s"):format(i, M.describe(item))) end
    notify("attached:\n" .. table.concat(lines, "\n"))
  end, { nargs = "?", complete = function() return { "clear" } end, desc = "List (or clear) the attachments" })
  vim.api.nvim_create_user_command("ChatLSNew", M.new_conversation, { desc = "Start a new ChatLS conversation" })
  vim.api.nvim_create_user_command("ChatLSCancel", M.cancel, { desc = "Stop the ChatLS reply in progress" })
  vim.api.nvim_create_user_command("ChatLSTranscript", M.open_transcript, { desc = "Reopen the ChatLS transcript" })
  vim.api.nvim_create_user_command("ChatLSConversations", function() M.browse_conversations() end,
    { desc = "Browse this project's ChatLS conversations and continue one" })
end

return M
