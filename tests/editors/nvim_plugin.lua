-- Headless Neovim (0.7.2+) using the helper users install, editors/nvim/lua/chatls.lua, set up exactly as
-- docs/editors.md shows: `require("chatls").setup{...}` attaches on FileType, :ChatLS streams into the
-- transcript, "Edit with instruction" from the code-action menu asks through vim.ui.input, Explain from the
-- menu streams into the transcript, and a cancelled chat is kept as cancelled.
-- Run by tests/editors/test_editors.py; observes only (see e2e.lua).
local E = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/e2e.lua")
local plan, obs = E.plan, E.obs
E.answer_questions("Apply") -- the server asks before an edit Neovim would apply unseen

vim.cmd("filetype on") -- -u NONE leaves detection off; a user's config has it on

local ok, err = pcall(function()
  E.record_messages()
  vim.opt.runtimepath:append(plan.pluginDir)
  local chatls = require("chatls")
  chatls.setup({ cmd = plan.serverCmd, init_options = plan.initOptions })

  local function wait_result()
    E.wait(function() return chatls.last_result ~= nil end, 20)
    local result = chatls.last_result
    chatls.last_result = nil
    return result
  end

  local function open_attached(path)
    local bufnr = E.open(path)
    E.wait(function() return chatls.client(bufnr) ~= nil end, 20)
    return bufnr
  end

  local client
  E.step("start", function()
    E.open(plan.files.chat)
    obs.initialized = E.wait(function()
      client = chatls.client()
      return client ~= nil and client.initialized
    end, 20)
  end)
  if not obs.initialized then error("the helper did not start an initialized client") end

  E.step("chat", function()
    local shown = #E.shown
    vim.cmd("ChatLS " .. plan.chat.prompt)
    obs.chat = { result = wait_result() }
    obs.chatShown = E.shown_since(shown) -- the status echoes
    obs.statusClearedAfterChat = chatls.status == nil and chatls.statusline() == ""
    obs.chatDeltaText = chatls.reply_text(obs.chat.result.messageId)
    vim.cmd("ChatLS " .. plan.chat.followUp)
    obs.followUp = { result = wait_result() }
  end)

  E.step("editViaMenu", function()
    E.edit_via_menu(open_attached(plan.files.edit.path)) -- the helper asks through vim.ui.input
    obs.edit = { result = wait_result() }
  end)

  E.step("explainViaMenu", function()
    open_attached(plan.files.explain.path)
    E.choose_action("chatls.explain")
    E.code_action_menu(plan.files.explain.range)
    obs.explain = { result = wait_result() }
    obs.explainDeltaText = chatls.reply_text(obs.explain.result.messageId)
    obs.transcript = E.buffer_text(chatls.transcript_buffer())
  end)

  E.step("unchangedViaMenu", function()
    -- Improve whose reply is the selected code itself: nothing to apply, and the user hears it once.
    local shown = #E.shown
    open_attached(plan.files.unchanged.path)
    E.choose_action("chatls.improve")
    E.code_action_menu(plan.files.unchanged.range)
    obs.unchanged = { result = wait_result() }
    obs.unchangedShown = E.shown_since(shown)
  end)

  E.step("chatAboutLines", function()
    -- :'<,'>ChatLS sends the lines as context (the emulator's log shows what reached the model).
    open_attached(plan.files.explain.path)
    chatls.new_conversation()
    vim.cmd("1,5ChatLS " .. plan.chat.aboutLines)
    obs.chatAboutLines = { result = wait_result() }
  end)

  E.step("cancel", function()
    E.open(plan.files.chat)
    chatls.new_conversation()
    local previous = chatls.last_message_id
    chatls.chat(plan.cancel.prompt, { profile = plan.cancel.profile })
    -- Cancel once the new reply has text: the turn's first delta is only a status, sent before the
    -- request goes upstream, so cancelling on it would not test a cancel in mid-stream.
    obs.cancelStreamed = E.wait(function()
      local id = chatls.last_message_id
      return id ~= nil and id ~= previous and (chatls.reply_text(id) or "") ~= ""
    end, 10)
    obs.cancelSeenText = chatls.reply_text(chatls.last_message_id)
    obs.cancelConversationId = chatls.conversation_id
    obs.cancelReturned = chatls.cancel()
    obs.cancelConversation = E.settled_conversation(client, chatls.conversation_id)
  end)

  E.step("generateTests", function()
    -- tests/ does not exist yet: the helper creates it, the file is saved with the tests and shown.
    local shown = #E.shown
    open_attached(plan.files.tested.path)
    E.choose_action("chatls.generateTests")
    E.code_action_menu(plan.files.tested.range)
    obs.generateTests = { result = wait_result() }
    obs.generateTestsShown = E.shown_since(shown)
    local path = plan.files.tested.testsPath
    obs.testsOnDisk = vim.fn.filereadable(path) == 1 and table.concat(vim.fn.readfile(path), "\n") or ""
    local buf = vim.fn.bufnr(path)
    obs.testsBufferSaved = buf ~= -1 and not vim.api.nvim_buf_get_option(buf, "modified")
    obs.testsShown = buf ~= -1 and vim.fn.bufwinid(buf) ~= -1
  end)

  E.step("reopenTranscript", function()
    local buf = chatls.transcript_buffer()
    for _, win in ipairs(vim.fn.win_findbuf(buf)) do vim.api.nvim_win_close(win, true) end
    obs.transcriptClosed = #vim.fn.win_findbuf(buf) == 0
    vim.cmd("ChatLSTranscript")
    obs.transcriptReopened = #vim.fn.win_findbuf(buf) > 0
  end)

  E.step("browseConversations", function()
    -- :ChatLSConversations lists the project's conversations; picking the first chat shows it and
    -- makes the next :ChatLS continue it.
    open_attached(plan.files.chat)
    chatls.new_conversation()
    vim.api.nvim_buf_set_lines(chatls.transcript_buffer(), 0, -1, false, {})
    local wanted = obs.chat.result.conversationId
    vim.ui.select = function(items, opts, on_choice)
      obs.browseOffered = {}
      for i, item in ipairs(items) do
        table.insert(obs.browseOffered, opts.format_item(item))
        if item.id == wanted then return on_choice(item, i) end
      end
      on_choice(nil, nil)
    end
    local loaded = false
    vim.cmd("ChatLSConversations")
    E.wait(function()
      loaded = chatls.conversation_id == wanted
      return loaded
    end)
    obs.browseLoaded = loaded
    obs.browseTranscript = E.buffer_text(chatls.transcript_buffer())
  end)

  E.step("thinking", function()
    -- A reasoning model: its summary streams into a Thinking part before the answer, never into it.
    chatls.new_conversation()
    chatls.chat(plan.reasoning.prompt, { profile = plan.reasoning.profile })
    local result = wait_result()
    obs.thinkingResult = { result = result }
    local transcript = E.buffer_text(chatls.transcript_buffer())
    obs.thinkingTranscript = transcript:match(".*(## ChatLS\n.*)$") or transcript
    obs.thinkingReasoning = chatls.reasoning_text(result.messageId)
    obs.thinkingReply = chatls.reply_text(result.messageId)
  end)

  E.step("conversations", function() E.observe_conversations(client) end)
end)
E.finish(ok, err)
