-- Headless Neovim (0.7.2+) running the "Without the helper" Lua block of docs/editors.md, exactly as written
-- (the wrapper only points its endpoint at the emulator and puts a `chatls` command on PATH).
-- Then it uses that setup the way the docs say: :ChatLS, :'<,'>ChatLS, and "Edit with instruction…" from
-- Neovim's code-action menu. Observes only (see e2e.lua).
local E = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/e2e.lua")
local plan, obs = E.plan, E.obs
E.answer_questions("Apply") -- the server asks before an edit Neovim would apply unseen

vim.cmd("filetype on") -- -u NONE leaves detection off; a user's config has it on

local function client()
  return vim.lsp.get_active_clients()[1]
end

local ok, err = pcall(function()
  dofile(plan.snippet)
  E.open(plan.files.chat)
  obs.initialized = E.wait(function() return client() ~= nil and client().initialized end)
  if not obs.initialized then error("the documented setup did not start an initialized client") end

  E.step("chat", function()
    vim.cmd("ChatLS " .. plan.chat.prompt)
    E.wait(function() return ChatLSConversation ~= nil and E.buffer_text(ChatLSBuffer):find(plan.chat.reply, 1, true) end)
    local first = ChatLSConversation
    obs.chat = { result = { conversationId = first } }
    vim.cmd("ChatLS " .. plan.chat.followUp)
    E.wait(function() return E.buffer_text(ChatLSBuffer):find(plan.chat.followUpReply, 1, true) ~= nil end)
    obs.followUp = { result = { conversationId = ChatLSConversation } }
  end)

  E.step("chatAboutLines", function()
    E.open(plan.files.explain.path)
    ChatLSConversation = nil
    vim.cmd("1,5ChatLS " .. plan.chat.aboutLines)
    E.wait(function() return E.buffer_text(ChatLSBuffer):find(plan.chat.aboutLinesReply, 1, true) ~= nil end)
  end)

  E.step("editViaMenu", function() E.edit_via_menu(E.open(plan.files.edit.path)) end)

  E.step("explainViaMenu", function()
    -- Explain from Neovim's own menu streams into the chat buffer through the documented handler.
    E.open(plan.files.explain.path)
    local before = ChatLSConversation
    E.choose_action("chatls.explain")
    E.code_action_menu(plan.files.explain.range)
    E.wait(function() return E.buffer_text(ChatLSBuffer):find(plan.explainReply, 1, true) ~= nil end)
    obs.explainConversationIsNew = ChatLSConversation ~= nil and ChatLSConversation ~= before
  end)

  obs.transcript = E.buffer_text(ChatLSBuffer)
end)
E.finish(ok, err)
