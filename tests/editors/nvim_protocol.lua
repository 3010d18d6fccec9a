-- Headless Neovim (0.7.2+) driving `chatls serve` through Neovim's own LSP client with no helper plugin,
-- speaking the protocol directly. Run by tests/editors/test_editors.py:
--   CHATLS_E2E_PLAN='{...}' nvim --headless -u NONE -i NONE -n -c "luafile nvim_protocol.lua"
-- Observes only (see e2e.lua); the pytest wrapper asserts.
local E = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/e2e.lua")
local plan, obs = E.plan, E.obs
E.answer_questions("Apply") -- the server asks before an edit Neovim would apply unseen
local deltas = {} -- every chatls/delta, in arrival order
local client

local function delta_text(message_id)
  local parts = {}
  for _, d in ipairs(deltas) do
    if d.messageId == message_id and type(d.content) == "string" then table.insert(parts, d.content) end
  end
  return table.concat(parts)
end

-- Wait until the deltas of a result's message add up to its content (they arrive before the response,
-- but give the last one a moment), then return their text.
local function streamed(result)
  vim.wait(500, function() return #delta_text(result.messageId) >= #(result.content or "") end, 10)
  return delta_text(result.messageId)
end

local function actions_for(bufnr, range, diagnostics)
  local r = E.request(client, "textDocument/codeAction", {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = range,
    context = { diagnostics = diagnostics or {} },
  }, bufnr)
  if r.error then error("textDocument/codeAction: " .. r.error.message) end
  return r.result or {}
end

local function find_command(actions, command_id)
  for _, a in ipairs(actions) do
    if E.command_of(a).command == command_id then return E.command_of(a) end
  end
  error(command_id .. " not offered")
end

local function run_command(cmd, bufnr, patch)
  local args = vim.deepcopy(cmd.arguments or {})
  if patch then args[1] = vim.tbl_extend("force", args[1], patch) end
  return E.request(client, "workspace/executeCommand", { command = cmd.command, arguments = args }, bufnr)
end

local function open_attached(path)
  local bufnr = E.open(path)
  vim.lsp.buf_attach_client(bufnr, client.id)
  return bufnr
end

local ok, err = pcall(function()
  local main_buf = E.open(plan.files.chat)

  E.step("start", function()
    vim.lsp.set_log_level("debug") -- every message goes to lsp.log, which the test scans for the key
    local client_id = vim.lsp.start_client({
      name = "chatls",
      cmd = plan.serverCmd,
      root_dir = plan.workspace,
      init_options = plan.initOptions,
      handlers = { ["chatls/delta"] = function(_, result) table.insert(deltas, result) end },
    })
    vim.lsp.buf_attach_client(main_buf, client_id)
    client = vim.lsp.get_client_by_id(client_id)
    obs.initialized = E.wait(function() return client.initialized end, 20)
    local caps = client.server_capabilities or {}
    obs.executeCommands = (caps.executeCommandProvider or {}).commands
  end)
  if not obs.initialized then error("server did not initialize") end

  E.step("chat", function()
    obs.chat = E.request(client, "chatls/chat", { prompt = plan.chat.prompt, workspaceUri = plan.workspaceUri })
    if obs.chat.result then obs.chatDeltaText = streamed(obs.chat.result) end
  end)

  E.step("followUp", function()
    local conversation_id = obs.chat.result.conversationId
    obs.followUp = E.request(client, "chatls/chat", { prompt = plan.chat.followUp, conversationId = conversation_id })
  end)

  E.step("actions", function()
    local bufnr = open_attached(plan.files.explain.path)
    local range = plan.files.explain.range
    local actions = actions_for(bufnr, range)
    obs.actions = {}
    for _, a in ipairs(actions) do
      table.insert(obs.actions, { title = a.title, kind = a.kind, command = E.command_of(a).command })
    end
    obs.emptySelectionActions = #actions_for(bufnr, { start = range.start, ["end"] = range.start })
    obs.actionsWithDiagnostic = {}
    for _, a in ipairs(actions_for(bufnr, range, { plan.diagnostic })) do
      table.insert(obs.actionsWithDiagnostic, E.command_of(a).command)
    end
    obs.explain = run_command(find_command(actions, "chatls.explain"), bufnr)
    if obs.explain.result then obs.explainDeltaText = streamed(obs.explain.result) end
  end)

  E.step("editSelection", function()
    local bufnr = open_attached(plan.files.edit.path)
    local before = E.buffer_text(bufnr)
    local cmd = find_command(actions_for(bufnr, plan.files.edit.range), "chatls.editSelection")
    -- The instruction is the one argument the editor supplies (VS Code asks for it; here the test does).
    obs.edit = run_command(cmd, bufnr, { instruction = plan.files.edit.instruction })
    E.wait(function() return E.buffer_text(bufnr) ~= before end, 20)
    obs.editBuffer = E.buffer_text(bufnr)
  end)

  E.step("improveViaMenu", function()
    -- Neovim's own code-action menu: vim.ui.select picks Improve, Neovim itself sends
    -- workspace/executeCommand, and the server's workspace/applyEdit edits the buffer.
    local bufnr = open_attached(plan.files.improve.path)
    local before = E.buffer_text(bufnr)
    obs.improveMenu = E.choose_action("chatls.improve")
    E.code_action_menu(plan.files.improve.range)
    E.wait(function() return E.buffer_text(bufnr) ~= before end, 20)
    obs.improveBuffer = E.buffer_text(bufnr)
  end)

  E.step("cancel", function()
    -- A chat on the slow deployment, cancelled once text streams. Neovim drops the -32800 reply (the
    -- callback never runs), so what the server kept is read back with chatls/conversation.
    vim.api.nvim_set_current_buf(main_buf)
    local first = #deltas + 1
    local sent, request_id = client.request("chatls/chat", {
      prompt = plan.cancel.prompt, profile = plan.cancel.profile, workspaceUri = plan.workspaceUri,
    }, function() end, main_buf)
    if not sent then error("chatls/chat was not sent") end
    -- Cancel once text streams: the turn's first delta is only a status, sent before the request goes
    -- upstream, so cancelling on it would not test a cancel in mid-stream.
    obs.cancelStreamed = E.wait(function()
      for i = first, #deltas do
        if type(deltas[i].content) == "string" and deltas[i].content ~= "" then return true end
      end
      return false
    end, 10)
    obs.cancelConversationId = deltas[first] and deltas[first].conversationId
    if deltas[first] then obs.cancelSeenText = delta_text(deltas[first].messageId) end
    client.cancel_request(request_id)
    obs.cancelConversation = E.settled_conversation(client, obs.cancelConversationId)
  end)

  E.step("conversations", function() E.observe_conversations(client) end)
end)
E.finish(ok, err)
