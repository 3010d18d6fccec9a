;;; eglot_plugin.el --- Emacs 28 + eglot 1.9 with the ChatLS helper, editors/emacs/chatls.el  -*- lexical-binding: t -*-

;;; Commentary:

;; The setup docs/editors.md shows Emacs users: `chatls-chat' streams into *chatls* and continues the
;; conversation, "Edit with instruction" from M-x eglot-code-actions asks for the instruction, Explain from
;; the menu streams into *chatls*, and `chatls-cancel' leaves the reply stored as cancelled.
;; Run by test_editors.py; observes only (see e2e.el).

;;; Code:

(load (expand-file-name "e2e.el" (file-name-directory load-file-name)) nil t)
(add-to-list 'load-path (expand-file-name (e2e-get :pluginDir)))
(require 'chatls)
(e2e-record-messages)

(defun e2e-wait-result ()
  "Wait for the next ChatLS result, then clear it."
  (e2e-wait-for (lambda () chatls-last-result))
  (prog1 chatls-last-result (setq chatls-last-result nil)))

(defun e2e-run ()
  (e2e-step :start (e2e-start))
  (unless e2e-server (error "eglot did not start the server"))

  (e2e-step :chat
    (let ((shown (length e2e-shown)))
      (chatls-chat (e2e-get :chat :prompt))
      (let ((result (e2e-wait-result)))
        (e2e-observe :chat (list :result result))
        (e2e-observe :chatShown (e2e-shown-since shown)) ; the status echoes
        (e2e-observe :statusClearedAfterChat (if chatls-status :json-false t))
        (e2e-observe :chatDeltaText (chatls-reply-text (plist-get result :messageId)))))
    (chatls-chat (e2e-get :chat :followUp))
    (e2e-observe :followUp (list :result (e2e-wait-result))))

  (e2e-step :editViaMenu
    (with-current-buffer (e2e-open (e2e-get :files :edit :path))
      (let ((before (e2e-buffer-text)))
        (cl-letf (((symbol-function 'read-string)
                   (lambda (prompt &rest _)
                     (e2e-observe :editAsked prompt)
                     (e2e-get :files :edit :instruction))))
          (e2e-observe :editMenu (e2e-menu (e2e-get :files :edit :range) "chatls.editSelection")))
        (e2e-wait-for (lambda () (not (equal before (e2e-buffer-text)))) 5)
        (e2e-observe :editBuffer (e2e-buffer-text))
        (e2e-observe :edit (list :result (e2e-wait-result))))))

  (e2e-step :explainViaMenu
    (with-current-buffer (e2e-open (e2e-get :files :explain :path))
      (e2e-menu (e2e-get :files :explain :range) "chatls.explain")
      (let ((result (e2e-wait-result)))
        (e2e-observe :explain (list :result result))
        (e2e-observe :explainDeltaText (chatls-reply-text (plist-get result :messageId))))
      (e2e-observe :transcript (with-current-buffer (chatls-transcript-buffer) (e2e-buffer-text)))))

  (e2e-step :unchangedViaMenu
    ;; Improve whose reply is the selected code itself: nothing to apply, and the user hears it once.
    (let ((shown (length e2e-shown)))
      (with-current-buffer (e2e-open (e2e-get :files :unchanged :path))
        (e2e-menu (e2e-get :files :unchanged :range) "chatls.improve")
        (e2e-observe :unchanged (list :result (e2e-wait-result)))
        (e2e-observe :unchangedShown (e2e-shown-since shown)))))

  (e2e-step :chatAboutLines
    ;; With a region, chatls-chat sends the code as context (the emulator's log shows what reached the model).
    (with-current-buffer (e2e-open (e2e-get :files :explain :path))
      (chatls-new-conversation)
      (chatls-chat (e2e-get :chat :aboutLines) (point-min) (point-max))
      (e2e-observe :chatAboutLines (list :result (e2e-wait-result)))))

  (e2e-step :cancel
    (with-current-buffer (e2e-open (e2e-get :files :chat))
      (chatls-new-conversation)
      (setq chatls-last-message-id nil)
      (chatls-chat (e2e-get :cancel :prompt) nil nil (e2e-get :cancel :profile))
      ;; Cancel once the reply has text: the turn's first delta is only a status, sent before the request
      ;; goes upstream, so cancelling on it would not test a cancel in mid-stream.
      (e2e-observe :cancelStreamed
                   (if (e2e-wait-for (lambda () (and chatls-last-message-id
                                                     (> (length (chatls-reply-text chatls-last-message-id)) 0))))
                       t :json-false))
      (e2e-observe :cancelSeenText (and chatls-last-message-id (chatls-reply-text chatls-last-message-id)))
      (e2e-observe :cancelConversationId chatls-conversation-id)
      (e2e-observe :cancelReturned (if (chatls-cancel) t :json-false))
      (e2e-observe :cancelConversation
                   (list :result (e2e-settled-conversation chatls-conversation-id)))))

  (e2e-step :thinking
    ;; A reasoning model: its summary streams into a Thinking part before the answer, never into it.
    (with-current-buffer (e2e-open (e2e-get :files :chat))
      (chatls-new-conversation)
      (chatls-chat (e2e-get :reasoning :prompt) nil nil (e2e-get :reasoning :profile))
      (let* ((result (e2e-wait-result))
             (transcript (with-current-buffer (chatls-transcript-buffer) (e2e-buffer-text)))
             (last-reply (let ((start 0) found)
                           (while (string-match "^## ChatLS$" transcript start)
                             (setq found (match-beginning 0) start (match-end 0)))
                           found)))
        (e2e-observe :thinkingResult (list :result result))
        (e2e-observe :thinkingTranscript (if last-reply (substring transcript last-reply) transcript))
        (e2e-observe :thinkingReasoning (chatls-reasoning-text (plist-get result :messageId)))
        (e2e-observe :thinkingReply (chatls-reply-text (plist-get result :messageId))))))

  (e2e-step :conversations (e2e-observe-conversations)))

(e2e-step :driver (e2e-run))
(e2e-finish)

;;; eglot_plugin.el ends here
