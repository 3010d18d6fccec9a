;;; eglot_citations.el --- Emacs 28 + eglot 1.9 + the ChatLS helper, On Your Data  -*- lexical-binding: t -*-

;;; Commentary:

;; A profile grounded in On Your Data: `chatls-chat' shows the answer and then its numbered references;
;; `chatls-open-conversation' shows the stored conversation with them again.  Run by
;; test_citations_editors.py; observes only.

;;; Code:

(load (expand-file-name "e2e.el" (file-name-directory load-file-name)) nil t)
(add-to-list 'load-path (expand-file-name (e2e-get :pluginDir)))
(require 'chatls)

(defun e2e-run ()
  (e2e-step :start (e2e-start))
  (unless e2e-server (error "eglot did not start the server"))
  (e2e-step :chat
    (chatls-chat (e2e-get :citations :prompt))
    (e2e-wait-for (lambda () chatls-last-result))
    (e2e-observe :result chatls-last-result)
    (e2e-observe :transcript (with-current-buffer (chatls-transcript-buffer) (e2e-buffer-text))))
  (e2e-step :reopen
    (with-current-buffer (chatls-transcript-buffer) (let ((inhibit-read-only t)) (erase-buffer)))
    (cl-letf (((symbol-function 'completing-read)      ; the user picks the only conversation listed
               (lambda (_prompt collection &rest _) (car (car collection)))))
      (call-interactively #'chatls-open-conversation))
    (e2e-observe :reopened (with-current-buffer (chatls-transcript-buffer) (e2e-buffer-text)))))

(e2e-step :driver (e2e-run))
(e2e-finish)
;;; eglot_citations.el ends here
